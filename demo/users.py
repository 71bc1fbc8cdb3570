"""The demo's people: who they are and the roles their tokens carry.

Reader roles are the ones the demo contracts grant (`roles:` with `access: read`);
`owner:<domain>` makes a person the owner of every product of that domain; `admin` may do
everything. `demo/mesh.py up` signs a token for each with the demo's local issuer.
"""

from __future__ import annotations

DOMAINS = (
    "precipitation",
    "temperature",
    "flood",
    "physical-risk",
    "disclosure-reporting",
    "air-quality",
)

USERS: dict[str, tuple[str, ...]] = {
    # An analyst of the mesh: reads every product, sees sensitive columns masked.
    "analyst": (
        "analyst",
        "precipitation_reader",
        "climate_analyst",
        "temperature_reader",
        "flood_reader",
        "disclosure_reader",
        "air_quality_reader",
    ),
    # The physical-risk contract's privileged role: its sensitive columns in clear.
    "risk-analyst": ("risk_analyst",),
    # That contract's row-filtered role: French assets only.
    "france-risk-analyst": ("france_risk_analyst",),
    # A reader of precipitation only.
    "rain-reader": ("precipitation_reader",),
    "admin": ("admin",),
    **{f"{domain}-owner": (f"owner:{domain}",) for domain in DOMAINS},
}

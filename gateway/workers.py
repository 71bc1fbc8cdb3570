"""What several gateway processes (``meshgate serve --workers N``) need to share.

Every process answers any request, so everything a request reads or a round writes must
be the same for all of them: the registry (and the stores on its database), the cache of
product documents (a stale copy fetched by one process must be served by the others when
the product is down) and the bus of live events (a change found by one process must reach
a WebSocket held by another). A setting that keeps any of these inside one process stops
the start with a message naming it, rather than a gateway whose answers depend on which
process a request happened to reach.
"""

from __future__ import annotations

from gateway.settings import InvalidSetting, Settings

MAX_WORKERS = 64
"""More processes than this is a typo (one per core is the useful most)."""


def check_workers(settings: Settings) -> None:
    """Raise :class:`InvalidSetting` unless ``settings.workers`` processes can share
    ``settings``; the message names the setting and what to use instead.

    >>> check_workers(Settings(workers=1))  # one process shares nothing
    >>> try:
    ...     check_workers(Settings(workers=2))
    ... except InvalidSetting as exc:
    ...     print(str(exc).split(":")[0])
    MESHGATE_REGISTRY_URL=sqlite
    """
    n = settings.workers
    if n > MAX_WORKERS:
        raise InvalidSetting(
            f"MESHGATE_WORKERS={n}: expected at most {MAX_WORKERS} processes (one per core "
            "is the useful most)"
        )
    if n == 1:
        return
    scheme = settings.registry_url.split(":", 1)[0].lower()
    # (variable, its value as shown, whether processes can share it, what to do instead)
    needs = (
        ("REGISTRY_URL", f"{scheme}:...", scheme in ("postgresql", "postgres"),
         f"{n} workers need a registry every process shares and writes at once, and one "
         "of them elected per background round; use postgresql://user@host:port/db"),
        ("CACHE_BACKEND", settings.cache_backend, _named(settings.cache_backend, "redis"),
         f"with {n} workers each process would keep its own copy of every document ({n} "
         "times the calls to the products, a stale copy served only by the process that "
         "fetched it); set MESHGATE_CACHE_BACKEND=redis"),
        ("EVENTS_BUS", settings.events_bus, _named(settings.events_bus, "redis"),
         f"with {n} workers a change found by one process would not reach live "
         "subscribers connected to another; set MESHGATE_EVENTS_BUS=redis"),
    )  # fmt: skip
    for name, shown, shared, instead in needs:
        if not shared:
            raise InvalidSetting(f"MESHGATE_{name}={shown}: {instead}")


def _named(value: str, name: str) -> bool:
    return value.strip().lower() == name

"""Checks on observability results: the last N the product's probes produced pass."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.certification.evidence import Documents, Outcome, few


def passing(docs: Documents, params: Mapping[str, Any]) -> Outcome:
    """The ``last`` most recent results (by timestamp) all pass, and there are at least
    ``min_results`` judged ones. A result with an error counts as failed; one not judged
    (``passed`` null) neither passes nor fails."""
    last, minimum = int(params["last"]), int(params["min_results"])
    if docs.descriptor is None:
        return Outcome(False, f"no valid descriptor: {docs.descriptor_problem or 'unreadable'}")
    if docs.results_problem is not None:
        return Outcome(False, f"no results: {docs.results_problem}")
    recent = sorted(docs.results, key=lambda r: str(r.get("timestamp") or ""), reverse=True)
    recent = recent[:last]
    failed = [r for r in recent if r.get("passed") is False or r.get("error")]
    judged = [r for r in recent if r.get("passed") is not None]
    if failed:
        named = few(f"{r.get('element')} {r.get('property')}" for r in failed)
        return Outcome(False, f"{len(failed)} of the last {len(recent)} results failed: {named}")
    if len(judged) < minimum:
        return Outcome(False, f"{len(judged)} judged results in the last {len(recent)}, "
                              f"{minimum} needed")  # fmt: skip
    return Outcome(True, f"the last {len(recent)} results pass ({len(judged)} judged)")

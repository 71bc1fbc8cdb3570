"""The health verdicts of the elected process, for every process of the gateway.

With several processes only one runs the health rounds (:mod:`gateway.election`), but
each answers ``Product.health`` and ``meshHealth`` from verdicts in its own memory. So
the process that ran a round writes all its verdicts to Redis, under a key of the
registry they share, with the time the round began; the others read them when that time
changes. Both keys expire (a gateway stopped for a while leaves nothing behind).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway.health.model import Judgement, Reason

log = logging.getLogger(__name__)

CLIENT_NAME = "meshgate-health"


@dataclasses.dataclass(frozen=True)
class Round:
    """The verdicts of one round and when it began (a verdict of a product checked since
    then by another process may be newer)."""

    started: datetime
    verdicts: dict[str, Judgement]


def encode(verdict: Judgement) -> dict[str, Any]:
    """``verdict`` as JSON values (times as ISO text).

    >>> from datetime import UTC
    >>> at = datetime(2026, 12, 2, tzinfo=UTC)
    >>> v = Judgement("p", "d.p", "DOWN", at, (Reason("UNREACHABLE", "DOWN", "no", since=at),))
    >>> decode(json.loads(json.dumps(encode(v)))) == v
    True
    """
    return {
        "product_id": verdict.product_id,
        "product_key": verdict.product_key,
        "status": verdict.status,
        "checked_at": verdict.checked_at.isoformat(),
        "reported": verdict.reported,
        "state": verdict.state,
        "reasons": [
            {**dataclasses.asdict(r), "since": r.since.isoformat() if r.since else None}
            for r in verdict.reasons
        ],
    }


def decode(value: dict[str, Any]) -> Judgement:
    """The verdict :func:`encode` wrote."""
    reasons = tuple(
        Reason(**{**r, "since": datetime.fromisoformat(r["since"]) if r["since"] else None})
        for r in value["reasons"]
    )
    return Judgement(
        product_id=value["product_id"],
        product_key=value["product_key"],
        status=value["status"],
        checked_at=datetime.fromisoformat(value["checked_at"]),
        reasons=reasons,
        reported=value["reported"],
        state=value["state"],
    )


class SharedVerdicts:
    """The last round's verdicts in Redis at ``redis_url``, for the processes sharing the
    registry at ``registry_url``; kept ``keep_seconds`` after they were written.

    Redis failing is logged and means "no newer round": each process keeps answering from
    the verdicts it has."""

    def __init__(self, redis_url: str, registry_url: str, *, keep_seconds: float) -> None:
        mesh = hashlib.blake2b(registry_url.encode(), digest_size=8).hexdigest()
        self._key = f"meshgate:health:{mesh}"
        self._keep_ms = max(int(keep_seconds * 1000), 1000)
        self._redis: Any = aioredis.from_url(redis_url, client_name=CLIENT_NAME)
        self._seen: bytes | None = None  # the round last read

    async def write(self, started: datetime, verdicts: Iterable[Judgement]) -> None:
        """Publish the verdicts of the round begun at ``started``."""
        body = json.dumps([encode(v) for v in verdicts])
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(f"{self._key}:verdicts", body, px=self._keep_ms)
                pipe.set(f"{self._key}:round", started.isoformat(), px=self._keep_ms)
                await pipe.execute()
        except RedisError as exc:
            log.warning("health verdicts not shared: %s", exc)

    async def newer(self) -> Round | None:
        """The last round written, if it is not the one this process read last."""
        try:
            stamp = await self._redis.get(f"{self._key}:round")
            if stamp is None or stamp == self._seen:
                return None
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.get(f"{self._key}:round")
                pipe.get(f"{self._key}:verdicts")
                stamp, body = await pipe.execute()
        except RedisError as exc:
            log.warning("shared health verdicts not read: %s", exc)
            return None
        if stamp is None or body is None:
            return None
        self._seen = stamp
        verdicts = (decode(v) for v in json.loads(body))
        started = datetime.fromisoformat(stamp.decode() if isinstance(stamp, bytes) else stamp)
        return Round(started, {v.product_id: v for v in verdicts})

    async def close(self) -> None:
        await self._redis.aclose()

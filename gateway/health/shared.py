"""The health verdicts of every process of the gateway, shared through Redis.

With several processes only one runs the health rounds (:mod:`gateway.election`), but
each answers ``Product.health`` and ``meshHealth`` from verdicts in its own memory. So
the process that ran a round writes all its verdicts to Redis, under a key of the
registry they share, with the time the round began; a process that judged a product
outside a round (registered through it) adds that verdict; and every process reads them
all whenever they changed. The keys expire (a gateway stopped for a while leaves nothing
behind).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway.health.model import Judgement, Reason

log = logging.getLogger(__name__)

CLIENT_NAME = "meshgate-health"
NEVER = datetime.min.replace(tzinfo=UTC)  # no full round yet


@dataclasses.dataclass(frozen=True)
class Round:
    """The shared verdicts and when the last full round began (a product missing from
    them but checked since then was registered meanwhile)."""

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
    """The verdicts in Redis at ``redis_url``, for the processes sharing the registry at
    ``registry_url``: a hash of one verdict per product, the time the last full round
    began, and a version counted up by every write (so a reader reads only after a
    change). Each key is kept ``keep_seconds`` after its last write.

    Redis failing is logged and means "nothing newer": each process keeps answering from
    the verdicts it has."""

    def __init__(self, redis_url: str, registry_url: str, *, keep_seconds: float) -> None:
        mesh = hashlib.blake2b(registry_url.encode(), digest_size=8).hexdigest()
        key = f"meshgate:health:{mesh}"
        self._verdicts, self._round, self._version = f"{key}:verdicts", f"{key}:round", f"{key}:v"
        self._keep_ms = max(int(keep_seconds * 1000), 1000)
        self._redis: Any = aioredis.from_url(redis_url, client_name=CLIENT_NAME)
        self._seen: bytes | None = None  # the version last read

    async def write(self, started: datetime, verdicts: Iterable[Judgement]) -> None:
        """Replace every verdict by those of the round begun at ``started``."""
        mapping = {v.product_id: json.dumps(encode(v)) for v in verdicts}

        def steps(pipe: Any) -> None:
            pipe.delete(self._verdicts)
            if mapping:
                pipe.hset(self._verdicts, mapping=mapping)
            pipe.set(self._round, started.isoformat(), px=self._keep_ms)

        await self._change("health verdicts not shared", steps)

    async def put(self, verdict: Judgement) -> None:
        """Share one verdict found outside a round (a product registered here)."""
        body = json.dumps(encode(verdict))
        await self._change(
            "health verdict not shared", lambda p: p.hset(self._verdicts, verdict.product_id, body)
        )

    async def drop(self, product_id: str) -> None:
        """Forget a product unregistered here."""
        await self._change(
            "health verdict not dropped", lambda p: p.hdel(self._verdicts, product_id)
        )

    async def _change(self, failed: str, steps: Callable[[Any], object]) -> None:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                steps(pipe)
                pipe.pexpire(self._verdicts, self._keep_ms)
                pipe.incr(self._version)
                pipe.pexpire(self._version, self._keep_ms)
                await pipe.execute()
        except RedisError as exc:
            log.warning("%s: %s", failed, exc)

    async def newer(self) -> Round | None:
        """Every shared verdict, if anything changed since this process last read them."""
        try:
            version = await self._redis.get(self._version)
            if version is None or version == self._seen:
                return None
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.get(self._version)
                pipe.get(self._round)
                pipe.hgetall(self._verdicts)
                version, stamp, found = await pipe.execute()
        except RedisError as exc:
            log.warning("shared health verdicts not read: %s", exc)
            return None
        self._seen = version
        verdicts = (decode(json.loads(body)) for body in found.values())
        started = datetime.fromisoformat(stamp.decode()) if stamp else NEVER
        return Round(started, {v.product_id: v for v in verdicts})

    async def close(self) -> None:
        await self._redis.aclose()

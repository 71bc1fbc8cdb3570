"""Which bus a gateway uses (``MESHGATE_EVENTS_BUS``): one process, or all behind Redis."""

from __future__ import annotations

from gateway.notify.bus import EventBus, LocalBus
from gateway.notify.redis_bus import RedisBus
from gateway.settings import Settings

BUSES = ("local", "redis")


async def open_bus(settings: Settings) -> EventBus:
    """The bus of ``settings``, started; raises ``ValueError`` on an unknown bus name."""
    name = settings.events_bus.strip().lower()
    if name == "local":
        return LocalBus(settings.ws_queue_size)
    if name == "redis":
        bus = RedisBus(
            settings.redis_url,
            settings.events_redis_channel,
            queue_size=settings.ws_queue_size,
            publish_timeout=settings.events_publish_timeout_seconds,
        )
        await bus.start()
        return bus
    raise ValueError(
        f"MESHGATE_EVENTS_BUS={settings.events_bus!r}: expected one of {', '.join(BUSES)}"
    )

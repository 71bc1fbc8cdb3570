"""Background loops end when their owner cancels them, even if a library swallowed it.

On Python 3.11 a library's handler can turn a task's ``CancelledError`` into a normal
return: redis-py's asyncio client does so for between a third and two thirds of the
cancellations that land inside a ``GET`` or a pipeline (measured here, redis 8.1). The loop
then goes on as if nothing happened, and its owner, awaiting it after ``cancel()``, waits
until the process's stop deadline (``MESHGATE_SHUTDOWN_SECONDS``) gives up on it.

The request outlives the swallowed exception: ``Task.cancelling()`` still counts it. Each
loop calls :func:`stop_if_cancelled` after each step that may swallow one, and so ends at
its next turn at worst.

Only the loop's owner cancels its task. Keep ``asyncio.TaskGroup`` out of these loops on
3.11: a child failing after the group's body has ended cancels the parent and never takes
the request back, which this check would read as a close.
"""

from __future__ import annotations

import asyncio


def stop_if_cancelled() -> None:
    """Raise ``CancelledError`` if the running task was asked to stop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError("cancelled (the first CancelledError was swallowed)")

"""The product's run state, changed by the control interface.

``running`` serves everything; ``paused`` stops serving data (consume answers 503) but
stays discoverable; ``stopped`` is unavailable in the marketplace until started again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final

from productkit.answers import RunState
from productkit.errors import InvalidState

RUNNING: Final = "running"
PAUSED: Final = "paused"
STOPPED: Final = "stopped"

# action -> (states it may start from, state it leads to). Repeating an action whose
# target is the current state is allowed and changes nothing (clients retry).
TRANSITIONS: dict[str, tuple[frozenset[str], RunState]] = {
    "start": (frozenset({RUNNING, PAUSED, STOPPED}), RUNNING),
    "stop": (frozenset({RUNNING, PAUSED, STOPPED}), STOPPED),
    "pause": (frozenset({RUNNING, PAUSED}), PAUSED),
    "resume": (frozenset({RUNNING, PAUSED}), RUNNING),
}


@dataclass(frozen=True)
class Change:
    """What an action did: the state before and after."""

    action: str
    before: RunState
    after: RunState

    @property
    def changed(self) -> bool:
        """Whether the state is different now."""
        return self.before != self.after


class StateMachine:
    """The current state and the allowed moves (safe to use from several threads)."""

    def __init__(self, state: RunState = RUNNING) -> None:
        self._state: RunState = state
        self._lock = threading.Lock()

    @property
    def state(self) -> RunState:
        """The current state."""
        return self._state

    def apply(self, action: str) -> Change:
        """Do ``action``; raise :class:`InvalidState` when the current state forbids it.

        >>> m = StateMachine()
        >>> m.apply("pause").after, m.apply("resume").after
        ('paused', 'running')
        """
        sources, target = TRANSITIONS[action]
        with self._lock:
            before = self._state
            if before not in sources:
                raise InvalidState(
                    f"cannot {action} a {before} product (use start first)",
                    state=before,
                )
            self._state = target
            return Change(action, before, target)

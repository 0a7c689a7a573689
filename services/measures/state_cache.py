"""A bounded cache of the measures service's states: the least recently used go past a cap.

The MongoDB repository keeps the period and stream states it has read or written, so that a
busy key is read from the store once (its instance is the key's only writer). Every distinct
(QSMO, measure, period, slice) is a state, so a backfill over years, or many QSMOs, would
grow an unbounded cache without end; this one holds at most ``max_states`` states of a kind
(``QSMO_MEASURES_STATE_CACHE_MAX_STATES``, ~1 KB each) and drops the least recently used.

``complete`` is what makes a miss cheap: after ``warm`` loaded every state of the instance's
partitions, a key the cache lacks is a key the store lacks (a day's first event needs no
lookup). The first eviction ends that: from then on a miss may be a state that was dropped,
so the repository looks misses up in the store until the next ``warm``.
"""

from collections import OrderedDict
from collections.abc import Iterable
from typing import Generic, TypeVar

DEFAULT_MAX_STATES = 200_000
"""About 160–250 MB of states per kind (a day state ~0.8 KB, a fiscal year with months more)."""

S = TypeVar("S")


class StateCache(Generic[S]):
    """States by key, at most ``max_states`` of them, least recently used evicted first."""

    def __init__(self, max_states: int = DEFAULT_MAX_STATES) -> None:
        if max_states < 1:
            raise ValueError(f"max_states must be at least 1, not {max_states}")
        self.max_states = max_states
        self.complete = False
        """Holds every stored state of its partitions: a miss is proof of absence."""
        self.evictions = 0
        """States dropped to stay under the cap since this cache was built."""
        self._states: OrderedDict[str, S] = OrderedDict()

    def __len__(self) -> int:
        return len(self._states)

    def __contains__(self, key: str) -> bool:
        """Whether ``key`` is held (without counting as a use)."""
        return key in self._states

    def get(self, key: str) -> S | None:
        """The state of ``key``, now the most recently used; None when not held."""
        state = self._states.get(key)
        if state is not None:
            self._states.move_to_end(key)
        return state

    def put(self, states: Iterable[tuple[str, S]]) -> int:
        """Hold these states as the most recently used; returns how many others were evicted."""
        held = self._states
        for key, state in states:
            held[key] = state
            held.move_to_end(key)
        evicted = len(held) - self.max_states
        if evicted <= 0:
            return 0
        for _ in range(evicted):
            held.popitem(last=False)
        self.evictions += evicted
        self.complete = False
        return evicted

    def fill(self, key: str, state: S) -> bool:
        """Add a state while warming; False (nothing added) once the cache is full."""
        if len(self._states) >= self.max_states:
            return False
        self._states[key] = state
        return True

    def clear(self) -> None:
        """Forget every state (not the eviction count); a miss proves nothing any more."""
        self._states.clear()
        self.complete = False

"""The bounded state cache: least recently used out first, and when a miss proves absence."""

import pytest

from services.measures.state_cache import StateCache


def test_the_least_recently_used_state_goes_first() -> None:
    cache: StateCache[int] = StateCache(max_states=3)
    assert cache.put([("a", 1), ("b", 2), ("c", 3)]) == 0
    assert cache.get("a") == 1  # now the most recently used
    assert cache.put([("d", 4)]) == 1
    assert "b" not in cache
    assert [k for k in ("a", "b", "c", "d") if k in cache] == ["a", "c", "d"]
    assert (len(cache), cache.evictions) == (3, 1)


def test_a_put_larger_than_the_cap_keeps_its_last_states() -> None:
    cache: StateCache[int] = StateCache(max_states=2)
    assert cache.put((str(n), n) for n in range(5)) == 3
    assert [cache.get(str(n)) for n in range(5)] == [None, None, None, 3, 4]
    assert cache.evictions == 3


def test_replacing_a_held_state_evicts_nothing() -> None:
    cache: StateCache[int] = StateCache(max_states=2)
    cache.put([("a", 1), ("b", 2)])
    assert cache.put([("a", 10)]) == 0
    assert (cache.get("a"), cache.get("b")) == (10, 2)


def test_the_first_eviction_ends_completeness_until_cleared_and_warmed() -> None:
    cache: StateCache[int] = StateCache(max_states=2)
    cache.complete = True  # as after warming partitions that fit
    cache.put([("a", 1), ("b", 2)])
    assert cache.complete
    cache.put([("c", 3)])
    assert not cache.complete
    cache.clear()
    assert (len(cache), cache.complete, cache.evictions) == (0, False, 1)


def test_warming_fills_up_to_the_cap_and_then_says_so() -> None:
    cache: StateCache[int] = StateCache(max_states=2)
    assert [cache.fill(k, n) for n, k in enumerate("abc")] == [True, True, False]
    assert "c" not in cache
    assert cache.evictions == 0


@pytest.mark.parametrize("cap", [0, -1])
def test_a_cap_below_one_is_refused(cap: int) -> None:
    with pytest.raises(ValueError, match="max_states must be at least 1"):
        StateCache(max_states=cap)

"""The measures process's settings for CPython's cyclic garbage collector.

Profiled for issue #21 (bench/profiles/README.md): at CPython's defaults the collector took
about 40 % of the handler's CPU time. A batch allocates tens of thousands of short-lived
containers (decoded events, states, documents), so the youngest generation, collected every
700 net allocations, was collected ~35 times per batch, and every tenth of those promoted
survivors into full collections that walk the whole heap (catalog, modules, cached states).
"""

import gc

YOUNGEST_THRESHOLD = 10_000
"""Net container allocations between two collections of the youngest generation (default 700)."""


def tune_collector() -> tuple[int, int, int]:
    """Collect less often and stop walking what lives for good; returns the old thresholds.

    ``gc.freeze`` moves every object alive now (modules, the catalog, settings) to the
    permanent generation, which no collection walks. Reference cycles are still collected,
    only in larger steps: memory stays bounded.
    """
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNGEST_THRESHOLD, previous[1], previous[2])
    return previous

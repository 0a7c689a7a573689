"""``python -m bench``: run every benchmark module of this package, then write the report."""

import importlib
import pkgutil
import sys
import time

import bench

SKIP = {"harness", "report", "workload", "kstreams_peer"}
"""Not benchmarks of their own: plumbing, and the peer (``end_to_end`` measures it in its run)."""


def main() -> int:
    names = sorted(
        m.name
        for m in pkgutil.iter_modules(bench.__path__)
        if m.name not in SKIP and not m.name.startswith("_")
    )
    wanted = sys.argv[1:] or names
    for name in wanted:
        started = time.monotonic()
        module = importlib.import_module(f"bench.{name}")
        module.main()
        print(f"   ({name} took {time.monotonic() - started:.0f} s)")
    try:
        report = importlib.import_module("bench.report")
    except ModuleNotFoundError:
        return 0
    report.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Shared benchmark plumbing: a private local stack, repeated runs, medians and ratios."""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "deploy" / "local"))

import qsmo_stack  # noqa: E402

RESULTS_DIR = REPO / ".local" / "bench-results"


@dataclass
class Target:
    """What a figure should reach (issue #21) and whether this run reached it.

    ``aim`` reads like "≥ 0.7 × the store's limit"; ``why`` says, when it is not met, why.
    """

    aim: str
    met: bool
    why: str = ""


@dataclass
class Figure:
    """One measured quantity over several runs, optionally against a same-run baseline."""

    name: str
    unit: str
    runs: list[float]
    baseline_name: str | None = None
    baseline_runs: list[float] = field(default_factory=list)
    higher_is_better: bool = True
    target: Target | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def baseline_median(self) -> float | None:
        return statistics.median(self.baseline_runs) if self.baseline_runs else None

    @property
    def ratio(self) -> float | None:
        base = self.baseline_median
        return self.median / base if base else None

    def line(self) -> str:
        spread = f"min {min(self.runs):,.1f}, max {max(self.runs):,.1f}, n={len(self.runs)}"
        text = f"{self.name}: median {self.median:,.1f} {self.unit} ({spread})"
        if self.baseline_name and self.baseline_median is not None:
            baseline = f"{self.baseline_median:,.1f} {self.unit}"
            text += (
                f" | baseline {self.baseline_name}: {baseline} | ratio {format_ratio(self.ratio)}"
            )
        return text


def ratio_target(figure: Figure, at_least: float, aim: str, why: str = "") -> Figure:
    """``figure`` with a target on its ratio to the same-run baseline (≥ ``at_least``)."""
    ratio = figure.ratio
    figure.target = Target(aim, ratio is not None and ratio >= at_least, why)
    return figure


def value_target(figure: Figure, limit: float, aim: str, why: str = "") -> Figure:
    """``figure`` with a target on its median: ≥ ``limit`` if higher is better, else ≤."""
    met = figure.median >= limit if figure.higher_is_better else figure.median <= limit
    figure.target = Target(aim, met, why)
    return figure


def format_ratio(value: float | None) -> str:
    """Two decimals, or two significant digits below 0.1 (0.0042 must not read 0.00)."""
    if value is None:
        return "–"
    return f"{value:.2g}" if value < 0.1 else f"{value:.2f}"


def report(benchmark: str, figures: list[Figure]) -> None:
    """Print the figures and save them as JSON for ``python -m bench`` to render."""
    print(f"== {benchmark}")
    for figure in figures:
        print("  " + figure.line())
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{benchmark}.json").write_text(
        json.dumps([{**asdict(f), "median": f.median, "ratio": f.ratio} for f in figures], indent=2)
    )


@contextmanager
def private_stack(kafka: bool = True, mongo: bool = True) -> Iterator[qsmo_stack.Stack]:
    """Kafka and/or FerretDB on free ports in a temporary home, stopped afterwards."""
    (REPO / ".local").mkdir(exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="bench-", dir=REPO / ".local"))
    stack = qsmo_stack.Stack.with_free_ports(home)
    stack.die_with_parent = True
    try:
        stack.ensure_api_keys()
        if mongo:
            stack.start_mongo()
        if kafka:
            stack.start_kafka()
            stack.create_topics()
        yield stack
    finally:
        stack.down()

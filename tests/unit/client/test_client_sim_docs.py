"""The ``qsmo-sim`` commands and the option tables of docs/publishing.md, against the fake ingest.

The Python example and the ``qsmo-push`` commands run against a real ingest in
tests/integration/client/test_client_push_docs.py.
"""

import contextlib
import io
import json
import re
import shlex
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from client_fakes import FakeIngest, Ticks

from qsmo_client import push_cli
from qsmo_client.simulator import cli as sim_cli
from shared.catalog import load_catalog

DOC = Path(__file__).resolve().parents[3] / "docs" / "publishing.md"
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
PUBLISHERS = {qsmo: f"key-{qsmo}" for qsmo in load_catalog().qsmo_ids}


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(), re.M | re.S)


def sim_commands() -> list[list[str]]:
    return [shlex.split(line) for line in code_blocks("sh")[1].splitlines() if line.strip()]


@pytest.fixture
def development_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``.local/api-keys.json`` in the working directory, as ``make up`` leaves it."""
    (tmp_path / ".local").mkdir()
    keys = {"admin": "a", "viewer": "v", "publishers": PUBLISHERS}
    (tmp_path / ".local" / "api-keys.json").write_text(json.dumps(keys))
    monkeypatch.chdir(tmp_path)


@pytest.mark.usefixtures("development_keys")
def test_the_backfill_command_sends_the_history_of_the_qsmos_it_names() -> None:
    command = sim_commands()[0]
    assert command[:2] == ["qsmo-sim", "--backfill-only"]
    fake = FakeIngest(key="unused", other_keys=tuple(PUBLISHERS.values()))
    out = io.StringIO()
    args = sim_cli.parse_args(command[1:])
    assert sim_cli.run(args, out=out, clock=lambda: NOW, transport=fake.transport) == 0
    assert {e["qsmo"] for e in fake.stored.values()} == {"grants-management", "cybersecurity"}
    assert min(e["occurred_at"] for e in fake.stored.values()) >= "2024-10-01"
    assert out.getvalue().splitlines()[-1].startswith("backfill done: ")


@pytest.mark.usefixtures("development_keys")
def test_the_live_command_sends_history_then_a_trickle() -> None:
    command = sim_commands()[1]
    assert "--backfill-only" not in command
    fake = FakeIngest(key="unused", other_keys=tuple(PUBLISHERS.values()))
    out = io.StringIO()
    args = sim_cli.parse_args(command[1:])
    moments = iter([NOW] + [NOW.replace(second=2 * n) for n in range(1, 30)])
    status = sim_cli.run(
        args, out=out, clock=lambda: next(moments), stop=Ticks(20), transport=fake.transport
    )
    assert status == 0
    assert "live: about 1 survey/snapshot events per second" in out.getvalue()
    assert {e["qsmo"] for e in fake.stored.values()} == set(PUBLISHERS)
    assert max(e["occurred_at"] for e in fake.stored.values()) >= "2026-11-23"


@pytest.mark.parametrize(
    ("table", "parse"),
    [
        ("qsmo-push", lambda argv: push_cli.parse_args(["events.csv", *argv])),
        ("qsmo-sim", sim_cli.parse_args),
    ],
)
def test_every_option_in_the_tables_exists(
    table: str, parse: Callable[[list[str]], object], capsys: pytest.CaptureFixture[str]
) -> None:
    section = DOC.read_text().split(f"## `{table}")[1].split("\n## ")[0]
    first_cells = [row.split("|")[1] for row in section.splitlines() if row.startswith("| `--")]
    names = re.findall(r"`(--[a-z-]+)(?: [A-Z]+)?`", "\n".join(first_cells))
    assert len(names) == len(set(names)) >= 7, names
    for name in [*names, "--no-such-option"]:
        with contextlib.suppress(SystemExit):  # an option without its value
            parse([name])
        unknown = "unrecognized arguments" in capsys.readouterr().err
        assert unknown == (name == "--no-such-option"), f"{table} {name}"

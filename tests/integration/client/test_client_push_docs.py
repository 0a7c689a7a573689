"""The examples of docs/publishing.md that talk to ingest, run against a real ingest process.

The Python example and the ``qsmo-push`` commands run as written (only the ingest URL is this
test's); the sample ``qsmo-push`` output is matched line by line against a real run (numbers
and ``…`` stand for any value). The ``qsmo-sim`` commands run in tests/unit/client.
"""

import contextlib
import io
import json
import re
import shlex
from pathlib import Path

import pytest
import qsmo_stack
from client_ingest_support import write_csv

from qsmo_client.push_cli import main as qsmo_push

DOC = Path(__file__).resolve().parents[3] / "docs" / "publishing.md"
DOC_URL = "http://127.0.0.1:8001"


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(), re.M | re.S)


def publisher_key(stack: qsmo_stack.Stack) -> str:
    key: str = json.loads(stack.plaintext_keys_file.read_text())["publishers"]["cybersecurity"]
    return key


def test_the_python_example_publishes_its_events(
    ingest: tuple[str, str], stack: qsmo_stack.Stack
) -> None:
    [example] = code_blocks("python")
    assert DOC_URL in example
    namespace = {"api_key": publisher_key(stack)}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(example.replace(DOC_URL, ingest[0]), namespace)
    report = namespace["report"]
    assert report.ok, printed.getvalue()
    assert report.accepted_ids == ["cyber-2025-05-01-csat-0001"]
    assert printed.getvalue() == ""


@pytest.fixture
def workdir(
    ingest: tuple[str, str],
    stack: qsmo_stack.Stack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """The working directory of a documented command; ``$QSMO_INGEST_URL`` names this ingest
    and ``$QSMO_API_KEY`` holds the cybersecurity publisher key."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QSMO_INGEST_URL", ingest[0])
    monkeypatch.setenv("QSMO_API_KEY", publisher_key(stack))
    return tmp_path


def test_the_qsmo_push_commands_send_their_files(
    workdir: Path,
    stack: qsmo_stack.Stack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (workdir / ".local").mkdir()
    (workdir / ".local" / "api-keys.json").write_text(stack.plaintext_keys_file.read_text())
    write_csv(workdir / "events.csv")
    event = {"qsmo": "cybersecurity", "measure": "customer-engagement", "value": 2}
    (workdir / "events.jsonl").write_text(
        "\n".join(json.dumps({**event, "occurred_at": f"2025-04-0{d}T12:00:00Z"}) for d in (1, 2))
    )
    lines = [line.split("#")[0].strip() for line in code_blocks("sh")[0].splitlines()]
    assert lines[0] == "export QSMO_API_KEY=<your QSMO's publisher key>"
    commands = [shlex.split(line) for line in lines if line.startswith("qsmo-push ")]
    assert len(commands) == 2
    for command in commands:
        if "--keys-file" in command:  # the key comes from the file alone
            monkeypatch.delenv("QSMO_API_KEY")
        assert qsmo_push(command[1:]) == 0, capsys.readouterr()
        assert " 0 refused, 0 not sent " in capsys.readouterr().out


def test_the_sample_output_is_what_qsmo_push_prints(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prompt, progress, *summary = code_blocks("text")[0].strip().splitlines()
    command = shlex.split(prompt.removeprefix("$ "))
    assert command[0] == "qsmo-push"
    write_csv(workdir / command[1], bad_line=57)
    assert qsmo_push(command[1:]) == 1
    out, err = capsys.readouterr()
    assert [line for line in err.splitlines() if line.startswith("sent ")][-1] == progress
    assert len(out.splitlines()) == len(summary), out
    for documented, printed in zip(summary, out.splitlines(), strict=True):
        abridged = re.sub(r"[0-9a-f]+…", "…", documented)  # 'push-6c1f…': any id
        pattern = re.sub(r"\d+", r"\\d+", re.escape(abridged)).replace("…", ".*")
        counts = re.search(r"\d+ accepted, \d+ refused, \d+ not sent", documented)
        assert re.fullmatch(pattern, printed), printed
        assert counts is None or counts.group() in printed

"""``qsmo-push FILE``: send the events of a JSON-lines or CSV file to the ingest API.

    QSMO_API_KEY=<publisher key> qsmo-push events.csv
    qsmo-push events.jsonl --keys-file .local/api-keys.json      # development keys

Exit status: 0 every event acknowledged; 1 some refused or not sent (listed); 2 the file,
the key or the command line is wrong (nothing sent). See docs/publishing.md.
"""

import argparse
import json
import logging
import os
import sys
from pathlib import Path

import httpx

from qsmo_client.files import FileEvents, FileFormatError, read_events_file
from qsmo_client.publisher import (
    DEFAULT_INGEST_URL,
    MAX_EVENTS_PER_REQUEST,
    AuthenticationError,
    Publisher,
    PublishReport,
)
from qsmo_client.retry import RetryPolicy

MAX_PROBLEMS_SHOWN = 50


class UsageError(Exception):
    """The command line or the environment is not enough to start; the message says why."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="qsmo-push",
        description="Send the events of a JSON-lines (.jsonl) or CSV (.csv) file to QSMO ingest.",
        epilog="The key comes from $QSMO_API_KEY (or --key-env), or from a development keys "
        "file (--keys-file, with --qsmo when the file's events name several QSMOs).",
    )
    parser.add_argument("file", type=Path, help="the events: one JSON object per line, or CSV")
    parser.add_argument(
        "--ingest-url", default=os.environ.get("QSMO_INGEST_URL", DEFAULT_INGEST_URL)
    )
    parser.add_argument("--format", choices=["auto", "jsonl", "csv"], default="auto")
    parser.add_argument("--key-env", default="QSMO_API_KEY", help="variable holding the key")
    parser.add_argument("--keys-file", type=Path, help="development keys (.local/api-keys.json)")
    parser.add_argument("--qsmo", help="which publisher key of --keys-file to use")
    parser.add_argument("--batch-size", type=int, default=MAX_EVENTS_PER_REQUEST)
    parser.add_argument("--max-attempts", type=int, default=RetryPolicy().max_attempts)
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="send the valid rest of a request that ingest refused for some events",
    )
    parser.add_argument("--dry-run", action="store_true", help="read the file, send nothing")
    return parser.parse_args(argv)


def resolve_key(args: argparse.Namespace, loaded: FileEvents) -> str:
    """The publisher key: from ``--key-env``'s variable, else from ``--keys-file``."""
    key = os.environ.get(args.key_env, "").strip()
    if key:
        return key
    if args.keys_file is None:
        raise UsageError(f"no API key: set ${args.key_env} to your publisher key (or --keys-file)")
    keys = json.loads(args.keys_file.read_text())
    publishers: dict[str, str] = keys.get("publishers", {})
    qsmo = args.qsmo
    if qsmo is None:
        named = {e.document.get("qsmo") for e in loaded.events}
        if len(named) != 1:
            raise UsageError("the file names several QSMOs: choose a key with --qsmo")
        qsmo = str(named.pop())
    if qsmo not in publishers:
        raise UsageError(f"{args.keys_file} has no publisher key for QSMO {qsmo!r}")
    return publishers[qsmo]


def summary_lines(name: str, loaded: FileEvents, report: PublishReport) -> list[str]:
    """What a person needs to read after a push: counts, derived ids, each problem."""
    lines = [
        f"{name}: {len(loaded.events)} events — {report.accepted} accepted, {report.rejected} "
        f"refused, {report.unsent} not sent ({report.requests} requests, {report.retries} retries)"
    ]
    if loaded.derived_ids:
        lines.append(
            f"note: {loaded.derived_ids} events had no event_id; each got a stable id derived "
            "from the file name and the row's content (sending this file again never double "
            "counts; an edited row becomes a new event)"
        )
    for problem in report.problems[:MAX_PROBLEMS_SHOWN]:
        lines.append(f"refused: {problem}")
    if len(report.problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"… and {len(report.problems) - MAX_PROBLEMS_SHOWN} more problems")
    if report.rejected:
        lines.append("a refused request is all or nothing: fix the rows listed and send again")
    if report.stopped:
        lines.append(f"stopped: {report.stopped}")
    return lines


def main(argv: list[str] | None = None, transport: httpx.BaseTransport | None = None) -> int:
    """Run the command; ``transport`` lets tests answer in place of a real ingest."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="qsmo-push: %(message)s")
    try:
        loaded = read_events_file(args.file, args.format)
        if args.dry_run:
            print(f"{args.file.name}: {len(loaded.events)} events read; nothing sent (--dry-run)")
            return 0
        key = resolve_key(args, loaded)

        def progress(report: PublishReport) -> None:
            print(f"sent {report.handled}/{len(loaded.events)} events", file=sys.stderr)

        with Publisher(
            key,
            args.ingest_url,
            max_events=args.batch_size,
            retry=RetryPolicy(max_attempts=args.max_attempts),
            transport=transport,
            on_progress=progress,
        ) as publisher:
            report = publisher.publish(loaded.events, skip_invalid=args.skip_invalid)
    except FileFormatError as error:
        for problem in error.problems[:MAX_PROBLEMS_SHOWN]:
            print(f"qsmo-push: {problem}", file=sys.stderr)
        print("qsmo-push: nothing was sent; fix the file and try again", file=sys.stderr)
        return 2
    except (UsageError, AuthenticationError, OSError, ValueError) as error:
        print(f"qsmo-push: {error}", file=sys.stderr)
        return 2
    for line in summary_lines(args.file.name, loaded, report):
        print(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

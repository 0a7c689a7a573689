"""``python -m qsmo_client.simulator.reviews``: the quarterly performance reviews of the
simulated history, through the gateway's GraphQL API with the admin development key.

    python -m qsmo_client.simulator.reviews --quarters 4

1. Waits until the simulated history of the reviewed quarters' fiscal years is scored (the
   scorecards count at least the events the simulator's seed makes for them), so each
   review's cut-off falls after its figures arrived and its packet shows them.
2. For each of the last ``--quarters`` ended fiscal quarters, oldest first, each QSMO's review
   and the government-wide one: created (cut-off now), made READY (packet frozen and sent) and,
   once its meeting date (three weeks after the quarter) has passed, HELD with decisions.
   Before the latest quarter's reviews, the development stakeholder lists are created (OMB,
   OSSPI, each QSMO's leadership; ``example.gov`` addresses), so those reviews' packets are
   emailed — under ``make up`` to the local SMTP sink's ``.local/mail/``.
3. Waits for the packets to be rendered and says how each came out.

Running it again changes nothing: a review that exists is left in the state it reached.
"""

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import httpx

from qsmo_client.simulator.cli import DEFAULT_KEYS_FILE, DEFAULT_SEED
from qsmo_client.simulator.keys import KeysFileError
from qsmo_client.simulator.provider_tools import DEFAULT_GATEWAY_URL, tools_keys
from qsmo_client.simulator.provider_tools_api import ToolsApi, ToolsApiError
from qsmo_client.simulator.reviews_flow import (
    HistoryNotScoredError,
    ended_quarters,
    ensure_stakeholder_lists,
    expected_events,
    play_review,
    wait_for_history,
    wait_for_packets,
)
from shared.catalog import load_catalog

DEFAULT_QUARTERS = 4


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m qsmo_client.simulator.reviews",
        description="Each QSMO's and the government-wide review of the last ended quarters: "
        "created, made READY with their packets and held with decisions.",
    )
    parser.add_argument(
        "--gateway-url", default=os.environ.get("QSMO_GATEWAY_URL", DEFAULT_GATEWAY_URL)
    )
    parser.add_argument("--keys-file", type=Path, default=DEFAULT_KEYS_FILE)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the simulator's seed")
    parser.add_argument("--quarters", type=int, default=DEFAULT_QUARTERS)
    parser.add_argument(
        "--history-timeout-s",
        type=float,
        default=3600.0,
        help="how long to wait for the simulated history to be scored",
    )
    parser.add_argument("--packet-timeout-s", type=float, default=1800.0)
    args = parser.parse_args(argv)
    if not 1 <= args.quarters <= 12:
        parser.error("--quarters must be between 1 and 12")
    return args


def run(
    args: argparse.Namespace,
    *,
    out: TextIO = sys.stdout,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Every review; returns the exit status (1 when a packet failed)."""
    catalog = load_catalog()
    key = tools_keys(args.keys_file).admin
    quarters = ended_quarters(clock(), args.quarters)
    scopes: list[tuple[str | None, str]] = [(q.id, q.name) for q in catalog.qsmos]
    scopes.append((None, "government-wide"))
    with ToolsApi(args.gateway_url, transport=transport) as api:
        expected = expected_events(args.seed, catalog, quarters)
        print(
            f"reviews: waiting for {sum(expected.values())} simulated events of "
            f"FY{quarters[0].fiscal_year}–FY{quarters[-1].fiscal_year} to be scored",
            file=out,
            flush=True,
        )
        wait_for_history(api, key, expected, args.history_timeout_s)
        ids: list[str] = []
        for quarter in quarters:
            if quarter == quarters[-1]:
                # Only the latest quarter's reviews go out by email (to the local SMTP sink
                # under make up): the older ones are history, not news. A review goes out
                # when its READY packet is rendered, to the lists that exist then: wait for
                # the older ones before the lists are made.
                wait_for_packets(api, key, ids, args.packet_timeout_s)
                for list_id in ensure_stakeholder_lists(api, key, catalog):
                    print(f"reviews: stakeholder list {list_id} created", file=out, flush=True)
            for qsmo, name in scopes:
                said = play_review(api, key, quarter, qsmo, name, clock())
                ids.append(said.split(":", 1)[0])
                print(f"reviews: {said}", file=out, flush=True)
        packets = wait_for_packets(api, key, ids, args.packet_timeout_s)
    failed = {i: p for i, p in packets.items() if p["status"] != "DONE"}
    done = len(packets) - len(failed)
    print(f"reviews: {done} of {len(ids)} packets rendered", file=out, flush=True)
    for ident, packet in failed.items():
        print(f"reviews: {ident} packet {packet['status']}: {packet.get('error')}", file=out)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except KeysFileError as error:
        print(f"reviews: {error}", file=sys.stderr)
        return 2
    except (ToolsApiError, HistoryNotScoredError) as error:
        print(f"reviews: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

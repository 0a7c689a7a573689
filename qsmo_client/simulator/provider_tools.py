"""``python -m qsmo_client.simulator.provider_tools``: a year of the provider tools, through
the gateway's public APIs with the development keys (``.local/api-keys.json``).

    python -m qsmo_client.simulator.provider_tools --fiscal-year 2026 --responses 300

1. Each provider, with its own provider key, submits its best-practices self-assessment
   and its annual data call (GraphQL; the dashboard's browser tests upload the workbook).
2. The admin key reviews every submission and accepts it: the accepted self-assessments enter
   the providers' scorecards (``best-practices-self-assessment``).
3. The admin runs the customer-satisfaction survey wave of the current fiscal year (a wave
   whose close date has passed closes by itself, so it cannot take a late import): creates it,
   gives the invited count, imports a few hundred responses as the CSV a survey tool exports,
   and closes it: each response's overall rating enters ``customer-satisfaction``.

Running it again changes nothing: accepted submissions are left alone, the wave is found by
name, and a closed wave is not imported again.
"""

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx

from qsmo_client.simulator.cli import DEFAULT_KEYS_FILE, DEFAULT_SEED
from qsmo_client.simulator.keys import KeysFileError
from qsmo_client.simulator.provider_tools_api import ToolsApi, ToolsApiError
from qsmo_client.simulator.provider_tools_flow import (
    accept_submissions,
    run_survey_wave,
    submit_data_call,
    submit_self_assessment,
)
from shared.catalog import load_catalog
from shared.domain.fiscal import fiscal_year_of

DEFAULT_GATEWAY_URL = "http://127.0.0.1:8000"
DEFAULT_RESPONSES = 300


@dataclass(frozen=True)
class ToolsKeys:
    """The admin key and each provider's key, from the development keys file."""

    admin: str
    providers: dict[str, str]


def tools_keys(path: Path) -> ToolsKeys:
    try:
        document: Any = json.loads(path.read_text())
        return ToolsKeys(
            str(document["admin"]), {k: str(v) for k, v in document["providers"].items()}
        )
    except FileNotFoundError:
        raise KeysFileError(
            f"no keys file at {path}: run 'make up' (or 'make keys') first"
        ) from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise KeysFileError(
            f"{path} has no admin key or no 'providers' map of provider keys ({error})"
        ) from None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m qsmo_client.simulator.provider_tools",
        description="Providers submit self-assessments and data calls, an admin accepts them, "
        "and a yearly customer-satisfaction survey wave is imported and closed.",
    )
    parser.add_argument(
        "--gateway-url", default=os.environ.get("QSMO_GATEWAY_URL", DEFAULT_GATEWAY_URL)
    )
    parser.add_argument("--keys-file", type=Path, default=DEFAULT_KEYS_FILE)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--fiscal-year",
        type=int,
        default=fiscal_year_of(datetime.now(UTC)) - 1,
        help="the self-assessments' and data calls' fiscal year (default: the last closed one)",
    )
    parser.add_argument("--providers", default="all", help="comma-separated provider ids, or all")
    parser.add_argument("--responses", type=int, default=DEFAULT_RESPONSES)
    args = parser.parse_args(argv)
    if args.responses < 0:
        parser.error("--responses must be ≥ 0")
    return args


def run(
    args: argparse.Namespace,
    *,
    out: TextIO = sys.stdout,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    transport: httpx.BaseTransport | None = None,
) -> int:
    """The whole year; returns the exit status."""
    catalog = load_catalog()
    keys = tools_keys(args.keys_file)
    active = [p for p in catalog.providers if not p.retired and p.id in keys.providers]
    if args.providers != "all":
        wanted = {name.strip() for name in args.providers.split(",") if name.strip()}
        unknown = sorted(wanted - {p.id for p in active})
        if unknown:
            raise KeysFileError(f"unknown or keyless providers {unknown}")
        active = [p for p in active if p.id in wanted]
    with ToolsApi(args.gateway_url, transport=transport) as api:
        for provider in active:
            key = keys.providers[provider.id]
            said = submit_self_assessment(api, key, args.seed, provider, args.fiscal_year)
            print(f"{provider.id}: self-assessment {said}", file=out, flush=True)
            said = submit_data_call(api, key, args.seed, provider, args.fiscal_year)
            print(f"{provider.id}: data call {said}", file=out, flush=True)
        accepted = accept_submissions(api, keys.admin, [p.id for p in active], args.fiscal_year)
        print(f"admin accepted {accepted}", file=out, flush=True)
        survey_year = fiscal_year_of(clock())
        said = run_survey_wave(api, keys.admin, args.seed, survey_year, args.responses, catalog)
        print(f"survey: {said}", file=out, flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except KeysFileError as error:
        print(f"provider tools: {error}", file=sys.stderr)
        return 2
    except ToolsApiError as error:
        print(f"provider tools: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

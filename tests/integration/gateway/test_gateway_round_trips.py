"""No N+1: the side-by-side dashboard costs a fixed number of store round trips."""

from collections import Counter
from typing import Any

import qsmo_stack
from gateway_pipeline_support import Pipeline
from pymongo import monitoring

from gateway.auth import Caller
from gateway.bootstrap import create_app
from gateway.context import GatewayContext
from gateway.settings import GatewaySettings
from shared.api_keys import Principal, Role
from shared.mongo import create_mongo_client
from shared.settings import PlatformSettings

DASHBOARD = """{ scorecards(fiscalYear: 2024, includeGovernmentWide: true) {
  id qsmo { id name } overallScore overallStatus
  dimensions { id score status measures { id value target attainment status
    dataQuality { eventCount restatedCount lastEventAt stale }
    profile { unit targetFor(qsmo: "cybersecurity") }
    latestCommentary { text author } openImprovementActions { title overdue } } } } }"""


class CommandCounter(monitoring.CommandListener):
    """Counts the commands a client sends, by name (handshakes and pings excluded)."""

    IGNORED = frozenset({"hello", "ismaster", "isMaster", "ping", "endSessions", "buildInfo"})

    def __init__(self) -> None:
        self.commands: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in self.IGNORED:
            self.commands[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


async def test_dashboard_of_every_qsmo_is_four_round_trips(
    pipeline: Pipeline, stack: qsmo_stack.Stack
) -> None:
    counter = CommandCounter()
    client: Any = create_mongo_client(stack.mongo_url, event_listeners=[counter])
    platform = PlatformSettings(
        mongo_url=stack.mongo_url,
        mongo_db=pipeline.lane.database,
        api_keys_file=stack.api_keys_file,
        kafka_bootstrap=stack.kafka_bootstrap,
    )
    app = create_app(GatewaySettings(), platform, mongo_client=client)
    runtime, schema = app.state.runtime, app.state.schema
    admin = GatewayContext(runtime, Caller(Principal(key_id="t-admin", role=Role.ADMIN)))
    try:
        for qsmo in ("cybersecurity", "grants-management"):
            result = await schema.execute(
                f'mutation {{ a: addCommentary(qsmo: "{qsmo}", measure: "customer-satisfaction", '
                f'fiscalYear: 2024, text: "noted") {{ id }} '
                f'b: createImprovementAction(qsmo: "{qsmo}", measure: "customer-satisfaction", '
                f'title: "act", owner: "me", dueDate: "2024-09-30") {{ id }} }}',
                context_value=admin,
            )
            assert result.errors is None, result.errors
        scorecard_owners = len(await runtime.framework.qsmos()) + 1  # and government-wide
        counter.commands.clear()
        viewer = GatewayContext(runtime, Caller(Principal(key_id="t-viewer", role=Role.VIEWER)))
        result = await schema.execute(DASHBOARD, context_value=viewer)
        assert result.errors is None, result.errors
        cards = result.data["scorecards"]
        measures = sum(len(d["measures"]) for c in cards for d in c["dimensions"])
        assert len(cards) >= 3
        assert measures >= 3 * 19
        commented = {
            (c["qsmo"]["id"] if c["qsmo"] else None, m["id"])
            for c in cards
            for d in c["dimensions"]
            for m in d["measures"]
            if m["latestCommentary"]
        }
        assert {
            ("cybersecurity", "customer-satisfaction"),
            ("grants-management", "customer-satisfaction"),
        } <= commented
        # scorecards (one concurrent _id lookup per QSMO and government-wide: FerretDB
        # scans a find by fiscal year) + framework log for targets and QSMO names (1; 2 here,
        # where no live feed runs, so the scorecard reader's read of the added QSMOs is not
        # cached) + commentary (1) + improvement actions (1), whatever the number of measures
        assert sum(counter.commands.values()) <= scorecard_owners + 4, counter.commands
    finally:
        await client.close()

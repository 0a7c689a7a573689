"""``python -m services.scorecard recompute``: every stored scorecard under the current rules.

For existing deployments after a revision of the scoring rules (rev. 2: docs/operations.md,
"Recompute scorecards after a rules revision"). Each scorecard whose content differs from
its latest version judged now gets a new version (cause ``rules_revision``, reason
``rules-revision-2``), announced on the scorecards topic like any other; older versions stay
in the history. A second run finds nothing to change and writes nothing.

Run it with the scorecard service stopped: the service is the one writer of its scorecards.
"""

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from services.scorecard.handlers import RecomputeReport, ScorecardContext, recompute_all
from services.scorecard.publisher import KafkaScorecardPublisher
from services.scorecard.repository import MongoScorecardRepository
from services.scorecard.settings import ScorecardSettings
from shared.catalog import load_catalog
from shared.domain.framework_changes import fold
from shared.framework_log import MongoFrameworkLog
from shared.kafka import connection_options, create_producer
from shared.mongo import create_mongo_client
from shared.settings import PlatformSettings

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def recompute(
    settings: ScorecardSettings | None = None,
    platform: PlatformSettings | None = None,
    clock: Callable[[], datetime] = _utc_now,
) -> RecomputeReport:
    """Recompute every stored scorecard (see the module docstring); what it did."""
    settings = settings or ScorecardSettings()
    platform = platform or PlatformSettings()
    producer = create_producer(platform.kafka_bootstrap, **connection_options(platform))
    await producer.start()
    mongo = create_mongo_client(platform.mongo_url)
    try:
        database = mongo[platform.mongo_db]
        repository = MongoScorecardRepository(database)
        await repository.create_indexes()
        state = fold(await MongoFrameworkLog(database).after(0))
        catalog = load_catalog()
        context = ScorecardContext(
            repository=repository,
            publisher=KafkaScorecardPublisher(producer, settings.scorecards_topic),
            framework=catalog.framework(),
            catalog_qsmos=catalog.qsmo_ids,
        )
        return await recompute_all(context=context, state=state, now=clock())
    finally:
        await producer.stop()
        await mongo.close()


def main() -> None:
    """Run the recompute once and print what it did as one JSON line."""
    logging.basicConfig(level=logging.INFO)
    report = asyncio.run(recompute())
    print(
        json.dumps(
            {
                "scorecards": report.recomputed,
                "versions": len(report.versions),
                "published": report.published,
                "changed": sorted(s.view.scorecard_id for s in report.versions),
            }
        )
    )

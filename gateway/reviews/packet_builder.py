"""The real ``PacketBuilder`` the packet worker calls: gather at the cut-off, assemble, render.

``ReviewPacketBuilder.build(review, previous)`` reads the packet's inputs through the read
doors (``gateway.reviews.packet_inputs``, on the event loop: I/O only), assembles the content
(pure) and renders it in the ``executor`` it was given — a ``ProcessPoolExecutor`` in the
gateway (``QSMO_GATEWAY_PACKET_PROCESSES``), so typesetting never holds the event loop and a
GraphQL request is never blocked by a packet. ``render_packet`` is the top-level (picklable)
function the executor runs.

``build_packet_builder`` is what the composition root calls with the runtime's parts.
"""

import asyncio
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor

from gateway.framework_admin import FrameworkAdmin
from gateway.ports import AnalysisStore, MeasureValues, ScorecardReads
from gateway.provider_tools.surveys import SurveyTool
from gateway.reviews.packet_inputs import OpenProposals, PacketInputsReader
from gateway.reviews.render_pdf import render_pdf
from gateway.reviews.render_tables import render_csv, render_xlsx
from shared.domain.catalog import Catalog
from shared.domain.review_packet import PacketContent
from shared.domain.review_packet_assembly import assemble_packet
from shared.domain.reviews import Review
from shared.review_packets import RenderedPacket


def render_packet(content: PacketContent) -> RenderedPacket:
    """The packet in every format (CPU-bound: run it in a process pool)."""
    pdf, pages = render_pdf(content)
    return RenderedPacket(
        pdf=pdf,
        xlsx=render_xlsx(content),
        csv=render_csv(content),
        pages=pages,
        summary=content.summary,
    )


def packet_executor(processes: int) -> ProcessPoolExecutor:
    """The render pool: ``processes`` spawned workers (``QSMO_GATEWAY_PACKET_PROCESSES``).

    Spawned, not forked: a forked child inherits the gateway's threads' locks (the store
    client's, Typst's own pool's once it has rendered) without the threads, and can hang.
    """
    return ProcessPoolExecutor(
        max_workers=processes, mp_context=multiprocessing.get_context("spawn")
    )


class ReviewPacketBuilder:
    """``gateway.reviews.worker.PacketBuilder``: one review's packet, rendered off the loop."""

    def __init__(self, inputs: PacketInputsReader, executor: Executor | None) -> None:
        """``executor`` None renders in the default thread pool (tests, tools)."""
        self._inputs = inputs
        self._executor = executor

    async def content(self, review: Review, previous: Review | None) -> PacketContent:
        """The packet's content at the review's cut-off (reads, then pure assembly)."""
        return assemble_packet(await self._inputs.gather(review, previous))

    async def build(self, review: Review, previous: Review | None) -> RenderedPacket:
        content = await self.content(review, previous)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, render_packet, content)


def build_packet_builder(
    *,
    scorecards: ScorecardReads,
    values: MeasureValues,
    analysis: AnalysisStore,
    framework: FrameworkAdmin,
    catalog: Catalog,
    executor: Executor | None,
    survey: SurveyTool | None = None,
    proposals: OpenProposals | None = None,
) -> ReviewPacketBuilder:
    """The builder over the gateway's read doors (``runtime.scorecards``, ``runtime.values``,
    ``runtime.analysis``, ``runtime.framework``, ``runtime.tools.surveys``); ``proposals``
    the revision proposals' reader once the gateway has one."""

    async def qsmo_names() -> dict[str, str]:
        return {q.id: q.name for q in await framework.qsmos()}

    reader = PacketInputsReader(
        scorecards, values, analysis, survey, proposals, qsmo_names, catalog
    )
    return ReviewPacketBuilder(reader, executor)

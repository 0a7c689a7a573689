"""Admin mutations of the framework: targets, weights, baselines, adoptions, QSMOs.

Each is audited by the framework store (who: the key id; why: ``reason``) and announced on
``qsmo.framework.v1``, so scorecards are recomputed.
"""

import strawberry

from gateway.auth import require_admin
from gateway.context import Info
from gateway.errors import BadUserInputError
from gateway.schema import fields
from gateway.schema.admin_types import AuditEntry, FrameworkChangePayload
from gateway.schema.common import translated_errors
from gateway.schema.framework_types import Dimension, Measure
from shared.events import FrameworkChanged


def framework_change_payload(info: Info, change: FrameworkChanged) -> FrameworkChangePayload:
    """The payload of a recorded change; this operation's later reads see the change."""
    info.context.loaders.forget_framework_state()
    framework = info.context.runtime.catalog.framework()
    measure = None
    if change.measure is not None:
        measure = Measure.from_model(framework, framework.measure(change.measure))
    dimension = None
    if change.dimension is not None:
        dimension = Dimension.from_model(framework, framework.dimension(change.dimension))
    return FrameworkChangePayload(
        change=AuditEntry.from_model(change), measure=measure, dimension=dimension
    )


@strawberry.type
class FrameworkMutations:
    @fields.mutation(
        description="Admin: set a measure's target for everyone, or for one QSMO (`qsmo`)."
    )
    async def set_target(
        self,
        info: Info,
        measure: strawberry.ID,
        target: float,
        reason: str,
        qsmo: strawberry.ID | None = None,
    ) -> FrameworkChangePayload:
        principal = info.context.principal
        require_admin(principal, "set targets")
        with translated_errors():
            change = await info.context.runtime.framework.set_target(
                measure,
                target,
                qsmo=qsmo,
                actor=principal.key_id,
                reason=reason,
                person=principal.person,
            )
        return framework_change_payload(info, change)

    @fields.mutation(
        description="Admin: set the weight of a measure (within its dimension) or of a dimension "
        "(in the overall score); give exactly one of `measure` and `dimension`."
    )
    async def set_weight(
        self,
        info: Info,
        weight: float,
        reason: str,
        measure: strawberry.ID | None = None,
        dimension: strawberry.ID | None = None,
    ) -> FrameworkChangePayload:
        principal = info.context.principal
        require_admin(principal, "set weights")
        framework = info.context.runtime.framework
        if (measure is None) == (dimension is None):
            raise BadUserInputError(
                "give exactly one of 'measure' and 'dimension'", field="measure"
            )
        with translated_errors():
            if measure is not None:
                change = await framework.set_measure_weight(
                    measure, weight, actor=principal.key_id, reason=reason, person=principal.person
                )
            else:
                assert dimension is not None
                change = await framework.set_dimension_weight(
                    dimension,
                    weight,
                    actor=principal.key_id,
                    reason=reason,
                    person=principal.person,
                )
        return framework_change_payload(info, change)

    @fields.mutation(
        description="Admin: set a measure's baseline for one QSMO, or government-wide."
    )
    async def set_baseline(
        self,
        info: Info,
        measure: strawberry.ID,
        value: float,
        reason: str,
        qsmo: strawberry.ID | None = None,
    ) -> FrameworkChangePayload:
        principal = info.context.principal
        require_admin(principal, "set baselines")
        with translated_errors():
            change = await info.context.runtime.framework.set_baseline(
                measure,
                value,
                qsmo=qsmo,
                actor=principal.key_id,
                reason=reason,
                person=principal.person,
            )
        return framework_change_payload(info, change)

    @fields.mutation(
        description="Admin: adopt a proposed dimension; its measures count from `phase` on."
    )
    async def adopt_dimension(
        self, info: Info, dimension: strawberry.ID, phase: int, reason: str
    ) -> FrameworkChangePayload:
        principal = info.context.principal
        require_admin(principal, "adopt dimensions")
        with translated_errors():
            change = await info.context.runtime.framework.adopt_dimension(
                dimension, phase, actor=principal.key_id, reason=reason, person=principal.person
            )
        return framework_change_payload(info, change)

    @fields.mutation(description="Admin: add a QSMO (a new, stable id).")
    async def add_qsmo(
        self, info: Info, id: strawberry.ID, name: str, lead_agency: str, reason: str
    ) -> FrameworkChangePayload:
        principal = info.context.principal
        require_admin(principal, "add QSMOs")
        with translated_errors():
            change = await info.context.runtime.framework.add_qsmo(
                id,
                name,
                lead_agency,
                actor=principal.key_id,
                reason=reason,
                person=principal.person,
            )
        return framework_change_payload(info, change)

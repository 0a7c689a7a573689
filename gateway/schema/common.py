"""Argument checks and error translation shared by the resolvers."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from gateway.errors import BadUserInputError, ForbiddenError, NotFoundError
from gateway.framework_admin import FrameworkChangeRejected
from services.notifications.read_model import (
    InvalidPageError,
    NotAllowedError,
    SubscriptionRejected,
)
from services.notifications.read_model import (
    NotFoundError as NotificationsNotFoundError,
)
from shared.domain.catalog import Catalog, Framework, Measure

MIN_FISCAL_YEAR, MAX_FISCAL_YEAR = 2000, 2200
_ARGUMENT_NAMES = {
    "qsmo_id": "id",
    "lead_agency": "leadAgency",
    "after_id": "after",
    "limit": "first",
    "min_severity": "minSeverity",
    "value": "value",
}


def argument_name(field: str) -> str:
    """The GraphQL argument a store's field name corresponds to."""
    if field in _ARGUMENT_NAMES:
        return _ARGUMENT_NAMES[field]
    head, *rest = field.split("_")
    return head + "".join(part.capitalize() for part in rest)


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn the stores' refusals into the gateway's coded errors."""
    try:
        yield
    except FrameworkChangeRejected as error:
        field = argument_name(error.field)
        raise BadUserInputError(f"{field}: {error.message}", field=field) from None
    except NotAllowedError as error:
        raise ForbiddenError(error.message) from None
    except SubscriptionRejected as error:
        field = argument_name(error.field)
        raise BadUserInputError(f"{field}: {error.message}", field=field) from None
    except NotificationsNotFoundError as error:
        raise NotFoundError(str(error)) from None
    except InvalidPageError as error:
        raise BadUserInputError(str(error)) from None


def fiscal_year_arg(fiscal_year: int, field: str = "fiscalYear") -> int:
    if not MIN_FISCAL_YEAR <= fiscal_year <= MAX_FISCAL_YEAR:
        raise BadUserInputError(
            f"{field} must be between {MIN_FISCAL_YEAR} and {MAX_FISCAL_YEAR}, got {fiscal_year}",
            field=field,
        )
    return fiscal_year


def aware(moment: datetime, field: str) -> datetime:
    """``moment`` if it has a UTC offset; BAD_USER_INPUT for a naive timestamp."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BadUserInputError(
            f"{field} needs a UTC offset, e.g. 2024-03-01T00:00:00Z", field=field
        )
    return moment


def catalog_measure(framework: Framework, measure_id: str, field: str = "measure") -> Measure:
    """The framework's measure; BAD_USER_INPUT naming the known ids otherwise."""
    if measure_id not in framework.measure_ids:
        raise BadUserInputError(
            f"unknown measure '{measure_id}' in framework {framework.version} "
            f"(known: {', '.join(framework.measure_ids)})",
            field=field,
        )
    return framework.measure(measure_id)


def value_measure(
    catalog: Catalog, measure_id: str, field: str = "measure"
) -> tuple[Framework, Measure]:
    """The measure a value read names and the framework defining it: any catalog framework's
    measure has values (the measures service counts them all, rev. 2), e.g. the provider
    framework's ``best-practices-self-assessment`` for a provider's slice. BAD_USER_INPUT
    naming the default framework's measures for an id no framework defines."""
    framework = catalog.framework_for_measure(measure_id)
    return framework, catalog_measure(framework, measure_id, field)


def phase_arg(framework: Framework, phase: int | None) -> int | None:
    numbers = sorted(p.number for p in framework.phases)
    if phase is not None and phase not in numbers:
        raise BadUserInputError(f"phase must be one of {numbers}, got {phase}", field="phase")
    return phase

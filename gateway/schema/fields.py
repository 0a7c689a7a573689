"""Typed shims for ``@strawberry.field(description=…)`` and friends.

With keyword arguments strawberry's decorators are typed as returning ``Any``, which strict
mypy rejects as an untyped decorator; these keep the resolver's own signature visible.
"""

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

F = TypeVar("F", bound=Callable[..., Any])


def field(description: str, name: str | None = None) -> Callable[[F], F]:
    """``@strawberry.field(description=…)``."""
    return cast("Callable[[F], F]", strawberry.field(description=description, name=name))


def mutation(description: str) -> Callable[[F], F]:
    """``@strawberry.mutation(description=…)``."""
    return cast("Callable[[F], F]", strawberry.mutation(description=description))


def subscription(description: str) -> Callable[[F], F]:
    """``@strawberry.subscription(description=…)``."""
    return cast("Callable[[F], F]", strawberry.subscription(description=description))

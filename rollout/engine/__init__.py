"""Pure-Python feature-flag evaluation with the semantics of the Unleash client specification v6.1.0.

No Django here: the Django side maps its models to the Unleash client-API payload, builds one `Snapshot`
per flag version and evaluates requests against it.
"""

from collections.abc import Sequence
from typing import Any

from rollout.engine.constraints import OPERATORS
from rollout.engine.errors import EngineValidationError, FlagNotFound
from rollout.engine.snapshot import Evaluation, Snapshot
from rollout.engine.strategies import STRATEGIES, validate_constraints_at, validate_strategy

__all__ = [
    "OPERATORS",
    "STRATEGIES",
    "EngineValidationError",
    "Evaluation",
    "FlagNotFound",
    "Snapshot",
    "validate_constraints",
    "validate_strategy",
]


def validate_constraints(constraints: Sequence[Any]) -> None:
    """Refuse an invalid constraint list (unknown operator, bad values, bad pattern...).

    Raises EngineValidationError naming the offending constraint, e.g. `constraints[1].operator: ...`.
    """
    validate_constraints_at(constraints, "constraints")

"""The fast-mode feature as the plan defines it: three phases and two settings variants (idempotent)."""

import json
from typing import Any

from django.db import transaction

from rollout import selectors, services
from rollout.models import Feature, PhaseKey

FAST_MODE_DESCRIPTION = (
    "cargo leptos dev --fast: dev-profile overrides applied by the leptos-fast shim. "
    "Targets: rebuild p50 under 10 s on medium projects (67 % faster), hot-reload success 90 %."
)

# The plan's dev-fast profile, minus its `panic = "abort"`: a panic would kill the dev server.
PLAN_DEV_FAST: dict[str, Any] = {
    "schema": 1,
    "profile": {
        "opt-level": 0,
        "debug": True,
        "incremental": True,
        "codegen-units": 16,
        "split-debuginfo": None,
    },
    "host_rustflags": [],
    "env": {},
    "lib_cargo_args": [],
    "bin_cargo_args": [],
}
# The corrected profile: line tables are enough for backtraces and much cheaper to emit and link; cargo's
# default codegen units (256 for incremental dev builds) parallelise better than 16.
TUNED_LINE_TABLES: dict[str, Any] = {
    **PLAN_DEV_FAST,
    "profile": {
        "opt-level": 0,
        "debug": "line-tables-only",
        "incremental": True,
        "codegen-units": None,
        "split-debuginfo": None,
    },
}

FAST_MODE_VARIANTS = [
    {
        "name": "plan-dev-fast",
        "weight": 500,
        "stickiness": "default",
        "payload": {"type": "json", "value": json.dumps(PLAN_DEV_FAST, sort_keys=True)},
    },
    {
        "name": "tuned-line-tables",
        "weight": 500,
        "stickiness": "default",
        "payload": {"type": "json", "value": json.dumps(TUNED_LINE_TABLES, sort_keys=True)},
    },
]

PHASES: list[dict[str, Any]] = [
    {
        "key": PhaseKey.BETA,
        "order": 1,
        "name": "Beta",
        "rings": ["beta"],
        "rollout_percentage": 0,
        "description": "Core contributors and early adopters who enrolled.",
    },
    {
        "key": PhaseKey.PREVIEW,
        "order": 2,
        "name": "Community preview",
        "rings": ["beta", "preview"],
        "rollout_percentage": 0,
        "description": "Everyone who enrolled, plus an optional share of everyone else.",
    },
    {
        "key": PhaseKey.GA,
        "order": 3,
        "name": "General availability",
        "rings": [],
        "rollout_percentage": 100,
        "description": "Fast mode for everyone: the default.",
    },
]


@transaction.atomic
def bootstrap_fast_mode() -> tuple[Feature, bool]:
    """Create fast mode with its phases and variants and start it in beta; leaves an existing one alone."""
    feature = selectors.feature_by_key(selectors.FAST_MODE_KEY)
    if feature is not None:
        return feature, False
    feature = services.feature_create(
        key=selectors.FAST_MODE_KEY,
        description=FAST_MODE_DESCRIPTION,
        actor="bootstrap",
        variants=FAST_MODE_VARIANTS,
    )
    phases = [services.phase_create(feature=feature, actor="bootstrap", **spec) for spec in PHASES]
    services.feature_move_to_phase(
        feature=feature, phase=phases[0], actor="bootstrap", reason="Rollout starts in beta."
    )
    feature.refresh_from_db()
    return feature, True

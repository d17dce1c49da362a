"""The maintainers' questions, answered from the rollups (or raw events), against known data."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from rollout import services as rollout_services
from telemetry import histogram, schema, selectors
from telemetry.models import BuildEvent
from telemetry.selectors import MetricsFilter
from telemetry.tests.factories import rfc3339, wire_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def ingest(make_installation: Any, ingest_now: Any) -> Any:
    installations: dict[str, Any] = {}

    def put(events: list[dict[str, Any]], ring: str = "general") -> None:
        if ring not in installations:
            installation, _ = make_installation(os="linux")
            installation.ring = ring
            installation.save(update_fields=["ring"])
            installations[ring] = rollout_services.installation_set_consent(
                installation=installation, telemetry_consent=True, consent_version="1")
        for start in range(0, len(events), 1000):
            body = json.dumps({"schema": 1, "events": events[start:start + 1000]}).encode()
            batch = schema.parse_batch(body, received_at=timezone.now())
            assert not batch.rejected, batch.rejected[:3]
            ingest_now(installation=installations[ring], events=batch.events)

    return put


def window(**filters: Any) -> MetricsFilter:
    return MetricsFilter.last_days(30, **filters)


def within(estimate: float | None, exact: float) -> bool:
    return estimate is not None and abs(estimate - exact) / exact <= histogram.RELATIVE_ERROR + 1e-9


def test_build_times__percentiles_within_two_percent_and_sample_sizes(ingest: Any) -> None:
    ingest([wire_event("rebuild", duration_ms=1000 * i) for i in range(1, 101)])
    ingest([wire_event("rebuild", outcome="failure", duration_ms=5)])  # failures are not timed
    report = selectors.build_times(window())
    groups = {(g.kind, g.mode): g.timing for g in report.groups}
    fast = groups[("rebuild", "fast")]
    assert fast.n == 100 and not fast.insufficient_data
    assert within(fast.p50_ms, 50_000) and within(fast.p90_ms, 90_000) and within(fast.p95_ms, 95_000)
    assert fast.mean_ms == 50_500
    normal = groups[("rebuild", "normal")]
    assert normal.n == 0 and normal.insufficient_data and normal.p50_ms is None
    assert report.source == "compact" and report.min_sample == 30


def test_build_times__below_min_sample__null_with_n(ingest: Any, settings: Any) -> None:
    settings.TELEMETRY_MIN_SAMPLE = 30
    ingest([wire_event("build") for _ in range(29)])
    timing = next(g.timing for g in selectors.build_times(window(kind="build", mode="fast")).groups)
    assert timing == selectors.Timing(n=29, p50_ms=None, p90_ms=None, p95_ms=None, mean_ms=None,
                                      insufficient_data=True)


def test_build_times__lognormal_sample__matches_exact_figures_from_raw(ingest: Any) -> None:
    rng = np.random.default_rng(5)
    durations = [int(v) for v in rng.lognormal(np.log(30_000), 0.6, 700)]
    ingest([wire_event("rebuild", mode="normal", duration_ms=d) for d in durations])
    timing = selectors.build_times(window(mode="normal", kind="rebuild")).groups[0].timing
    raw = list(BuildEvent.objects.values_list("duration_ms", flat=True))
    for q, estimate in ((0.5, timing.p50_ms), (0.9, timing.p90_ms), (0.95, timing.p95_ms)):
        exact = histogram.exact_quantile(raw, q)
        assert exact is not None and within(estimate, exact), (q, estimate, exact)


def test_filters__each__answered_from_the_smallest_source(ingest: Any) -> None:
    ingest([wire_event()])
    assert selectors.build_times(window()).source == "compact"
    assert selectors.build_times(window(ring="beta")).source == "cohort"
    assert selectors.build_times(window(os="linux")).source == "platform"
    assert selectors.build_times(window(os="linux", ring="beta")).source == "full"
    assert selectors.build_times(window(cargo_leptos_version="0.2.22")).source == "version_compact"
    assert selectors.build_times(window(cargo_leptos_version="0.2.22", os="linux")).source == "version"
    assert selectors.build_times(window(cargo_leptos_version="0.2.22", leptos_version="0.7.4")).source == "raw"
    assert selectors.build_times(window(rustc_version="1.84.0", command="watch")).source == "raw"


def test_filters__rollups_and_raw_events__same_answers(ingest: Any) -> None:
    rng = np.random.default_rng(9)
    events = [wire_event("rebuild", mode=str(rng.choice(["fast", "normal"])), duration_ms=int(d),
                         outcome=str(rng.choice(["success", "success", "failure"])),
                         env_overrides={"cargo_leptos_version": str(rng.choice(["0.2.21", "0.2.22"]))})
              for d in rng.lognormal(np.log(20_000), 0.5, 400)]
    ingest(events)
    from_version = selectors.build_times(window(cargo_leptos_version="0.2.22"))
    from_raw = selectors.build_times(window(cargo_leptos_version="0.2.22", leptos_version="0.7.4"))
    assert (from_version.source, from_raw.source) == ("version_compact", "raw")
    assert from_version.groups == from_raw.groups
    compact = selectors.failures(window())
    raw = selectors.failures(window(cargo_leptos_version="0.2.22", rustc_version="1.84.0"))
    share = sum(g.events for g in raw.groups)
    assert 0 < share < sum(g.events for g in compact.groups)


def test_filters__ring_and_window__exclude_other_events(ingest: Any) -> None:
    ingest([wire_event() for _ in range(40)], ring="beta")
    ingest([wire_event() for _ in range(35)], ring="preview")
    old = rfc3339(datetime.now(UTC) - timedelta(days=12))
    ingest([wire_event(occurred_at=old) for _ in range(50)], ring="beta")
    beta = selectors.build_times(window(ring="beta", kind="rebuild", mode="fast")).groups[0].timing
    assert beta.n == 90
    recent = selectors.build_times(MetricsFilter.last_days(7, ring="beta", kind="rebuild", mode="fast"))
    assert recent.groups[0].timing.n == 40


def test_improvement__fast_vs_normal__with_interval(ingest: Any) -> None:
    rng = np.random.default_rng(1)
    ingest([wire_event("rebuild", mode="normal", variant=None, duration_ms=int(d))
            for d in rng.lognormal(np.log(30_000), 0.4, 300)])
    ingest([wire_event("rebuild", mode="fast", duration_ms=int(d)) for d in rng.lognormal(np.log(9_000), 0.4, 300)])
    report = selectors.improvement(window())
    change = report.p50_improvement
    assert report.kind == "rebuild" and report.fast.n == report.normal.n == 300
    assert change.value is not None and change.ci_low is not None and change.ci_high is not None
    assert 0.64 < change.ci_low <= change.value <= change.ci_high < 0.76
    assert report.fast.p50_ms is not None and report.normal.p50_ms is not None
    assert change.value == pytest.approx(1 - report.fast.p50_ms / report.normal.p50_ms, abs=2e-4)


def test_improvement__one_mode_missing__insufficient(ingest: Any) -> None:
    ingest([wire_event("rebuild") for _ in range(50)])
    report = selectors.improvement(window())
    assert report.p50_improvement.insufficient_data and report.p50_improvement.value is None


def test_hot_reload__success_rate_wilson_and_times(ingest: Any) -> None:
    ingest([wire_event("hot_reload") for _ in range(80)]
           + [wire_event("hot_reload", outcome="failure", patch_sent=False, time_to_patch_ms=None,
                         time_to_reload_ms=None) for _ in range(20)]
           + [wire_event("hot_reload", outcome="interrupted", time_to_patch_ms=None, time_to_reload_ms=None)
              for _ in range(10)])
    group = selectors.hot_reload(window()).groups[0]
    assert group.mode == "fast" and group.events == 110
    assert group.success_rate.n == 100 and group.success_rate.rate == 0.8
    assert group.success_rate.ci_low == pytest.approx(0.711, abs=1e-3)
    assert group.success_rate.ci_high == pytest.approx(0.8666, abs=1e-3)
    assert group.interrupted_rate.count == 10
    assert within(group.time_to_patch.p50_ms, 300) and within(group.time_to_reload.p90_ms, 800)
    assert group.patches_sent == 90


def test_failures__rates_per_kind_and_mode(ingest: Any) -> None:
    ingest([wire_event("build", outcome=o) for o in ["failure"] * 10 + ["interrupted"] * 5 + ["success"] * 35])
    groups = {(g.kind, g.mode): g for g in selectors.failures(window()).groups}
    build = groups[("build", "fast")]
    assert build.events == 50 and build.failure_rate.rate == 0.2 and build.interrupted_rate.rate == 0.1
    assert groups[("rebuild", "normal")].failure_rate.insufficient_data


def test_trend__daily_and_weekly_points(ingest: Any) -> None:
    now = datetime.now(UTC)
    moments = [now - timedelta(days=days_ago) for days_ago in (0, 1, 8)]
    ingest([wire_event(occurred_at=rfc3339(m), duration_ms=1000 + i) for i, m in enumerate(moments)
            for _ in range(31)])
    daily = selectors.trend(MetricsFilter.last_days(14, mode="fast"))
    assert len(daily.points) == 14
    counts = {p.period_start: p.events for p in daily.points}
    assert {day: n for day, n in counts.items() if n} == {m.date(): 31 for m in moments}
    assert all(p.timing.n == 31 for p in daily.points if p.events)
    weekly = selectors.trend(MetricsFilter.last_days(14, mode="fast"), period="week")
    assert all(p.period_start.weekday() == 0 for p in weekly.points)
    assert sum(p.events for p in weekly.points) == 93


def test_phases__shares_sum_to_one(ingest: Any) -> None:
    ingest([wire_event("rebuild") for _ in range(40)])
    group = selectors.phase_breakdown(window()).groups[0]
    assert group.n == 40 and not group.insufficient_data
    assert sum(v or 0 for v in group.share.values()) == pytest.approx(1, abs=1e-3)
    assert group.share["server"] == pytest.approx(6000 / 9000, abs=1e-4)
    assert group.mean_ms["front"] == 2500


def _versions(ingest: Any, slow: float) -> None:
    rng = np.random.default_rng(4)
    for version, scale in (("0.2.21", 1.0), ("0.2.22", 1.0), ("0.2.24", slow)):
        ingest([wire_event("rebuild", duration_ms=int(d * scale), env_overrides={"cargo_leptos_version": version})
                for d in rng.lognormal(np.log(9_000), 0.3, 200)])


def test_regressions__slower_new_version__flagged(ingest: Any) -> None:
    _versions(ingest, slow=1.25)
    report = selectors.regressions(window())
    [step] = report.regressions
    assert (step.component, step.from_version, step.to_version, step.mode) == ("cargo_leptos", "0.2.22", "0.2.24",
                                                                               "fast")
    assert step.slower and step.p50_change.value is not None and 0.15 < step.p50_change.value < 0.35
    cargo = next(c for c in report.components if c.component == "cargo_leptos" and c.mode == "fast")
    assert [v.version for v in cargo.versions] == ["0.2.21", "0.2.22", "0.2.24"]
    assert report.source == "version_compact"


def test_regressions__same_speed__none(ingest: Any) -> None:
    _versions(ingest, slow=1.0)
    assert selectors.regressions(window()).regressions == []


def test_semver_key__orders_numerically_prerelease_first() -> None:
    versions = ["0.2.9", "0.2.10", "1.85.0", "1.85.0-nightly", "0.10.0"]
    assert sorted(versions, key=selectors.semver_key) == ["0.2.9", "0.2.10", "0.10.0", "1.85.0-nightly", "1.85.0"]


def test_recommendations__no_data__every_rule_says_insufficient() -> None:
    report = selectors.recommendations(window())
    assert report.recommendations == []
    assert {c.status for c in report.checks} == {"insufficient_data"}


def test_recommendations__wasm_opt_in_dev_and_linker__fire(ingest: Any) -> None:
    phases = {"server": 7000, "front": 1000, "wasm_opt": 1500, "other": 500}
    ingest([wire_event("rebuild", variant="opt-level-1", phases_ms=phases) for _ in range(40)])
    report = selectors.recommendations(window())
    rules = {r.rule for r in report.recommendations}
    assert {"wasm_opt_in_dev", "faster_linker_linux"} <= rules
    wasm = next(r for r in report.recommendations if r.rule == "wasm_opt_in_dev")
    assert wasm.evidence["n"] == 40 and wasm.evidence["variant"] == "opt-level-1"
    assert {c.rule: c.status for c in report.checks}["hot_reload_target"] == "insufficient_data"


def test_recommendations__hot_reload_below_target__fires(ingest: Any) -> None:
    ingest([wire_event("hot_reload") for _ in range(60)]
           + [wire_event("hot_reload", outcome="failure") for _ in range(40)])
    report = selectors.recommendations(window())
    assert "hot_reload_target" in {r.rule for r in report.recommendations}


def test_recommendations__faster_variant__suggested_against_the_most_used_one(ingest: Any) -> None:
    rng = np.random.default_rng(8)
    ingest([wire_event("rebuild", variant="plan-dev-fast", duration_ms=int(d))
            for d in rng.lognormal(np.log(10_000), 0.3, 120)])
    ingest([wire_event("rebuild", variant="tuned-line-tables", duration_ms=int(d))
            for d in rng.lognormal(np.log(7_000), 0.3, 80)])
    report = selectors.recommendations(window())
    [better] = [r for r in report.recommendations if r.rule == "better_variant"]
    assert better.evidence["variant"] == "tuned-line-tables" and better.evidence["reference"] == "plan-dev-fast"
    assert better.evidence["ci_high"] < 0 and better.evidence["n"] == 80

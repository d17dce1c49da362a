"""Rolling up (pure): order and grouping never matter, percentiles stay within 2 % of the raw events'."""

import random
from collections import Counter
from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from telemetry import histogram
from telemetry.rollups import GROUPING_ORDER, GROUPINGS, Facts, Measures, RollupKey, grouping_for, roll_up

DAY = date(2026, 3, 2)


@st.composite
def facts(draw: st.DrawFn) -> Facts:
    kind = draw(st.sampled_from(["build", "rebuild", "hot_reload"]))
    outcome = draw(st.sampled_from(["success", "success", "failure", "interrupted"]))
    phases = draw(st.one_of(st.none(), st.tuples(*[st.integers(0, 10_000)] * 6)))
    return Facts(
        day=DAY + timedelta(days=draw(st.integers(0, 3))),
        ring=draw(st.sampled_from(["beta", "general"])),
        mode=draw(st.sampled_from(["fast", "normal"])),
        variant=draw(st.sampled_from(["", "builtin-default"])),
        size_bucket=draw(st.sampled_from(["small", "medium", ""])),
        command="watch", kind=kind,
        os=draw(st.sampled_from(["linux", "macos"])), toolchain="stable", profile="dev",
        cargo_leptos_version=draw(st.sampled_from(["0.2.21", "0.2.22"])), leptos_version="0.7.4",
        rustc_version="1.84.0", outcome=outcome,
        duration_ms=draw(st.integers(1, 86_400_000)),
        phases=phases if kind != "hot_reload" else None,
        patch_sent=draw(st.booleans()) if kind == "hot_reload" else None,
        time_to_patch_ms=draw(st.one_of(st.none(), st.integers(0, 100_000))) if kind == "hot_reload" else None,
        time_to_reload_ms=draw(st.one_of(st.none(), st.integers(0, 100_000))) if kind == "hot_reload" else None,
    )


def merge_deltas(*parts: dict[RollupKey, Measures]) -> dict[RollupKey, Measures]:
    merged: dict[RollupKey, Measures] = {}
    for part in parts:
        for key, measures in part.items():
            merged.setdefault(key, Measures()).merge(measures)
    return merged


@settings(max_examples=60)
@given(st.lists(facts(), max_size=60), st.randoms(use_true_random=False))
def test_roll_up__any_order__same_rollups(events: list[Facts], rng: random.Random) -> None:
    shuffled = list(events)
    rng.shuffle(shuffled)
    assert roll_up(events, feature="fast-mode") == roll_up(shuffled, feature="fast-mode")


@settings(max_examples=60)
@given(st.lists(facts(), max_size=40), st.lists(facts(), max_size=40))
def test_roll_up__merging_rollups__equals_rolling_up_the_union(a: list[Facts], b: list[Facts]) -> None:
    merged = merge_deltas(roll_up(a, feature="f"), roll_up(b, feature="f"))
    assert merged == roll_up(a + b, feature="f")


@settings(max_examples=60)
@given(st.lists(facts(), min_size=1, max_size=80))
def test_roll_up__every_grouping__counts_every_event_once(events: list[Facts]) -> None:
    deltas = roll_up(events, feature="f")
    for grouping in GROUPINGS:
        totals: Counter[str] = Counter()
        for key, measures in deltas.items():
            if key.grouping == grouping:
                totals["events"] += measures.events
                totals["failures"] += measures.failures
        copies = 3 if grouping.startswith("version") else 1  # one row per tool
        assert totals["events"] == copies * len(events)
        assert totals["failures"] == copies * sum(e.outcome == "failure" for e in events)


@settings(max_examples=80)
@given(st.lists(facts(), min_size=1, max_size=150), st.sampled_from([0.5, 0.9, 0.95]))
def test_roll_up__merged_percentile__within_two_percent_of_raw(events: list[Facts], q: float) -> None:
    deltas = roll_up(events, feature="f")
    for grouping in GROUP_SAMPLES:
        blobs = [histogram.encode_mapping(m.duration_hist) for k, m in deltas.items()
                 if k.grouping == grouping and k.dimensions[5] in ("build", "rebuild")]
        timed = [e.duration_ms for e in events if e.outcome == "success" and e.kind in ("build", "rebuild")]
        estimate = histogram.quantile(histogram.merge_encoded(blobs), q)
        exact = histogram.exact_quantile(timed, q)
        if exact is None:
            assert estimate is None
        else:
            assert estimate is not None
            assert abs(estimate - exact) / exact <= histogram.RELATIVE_ERROR + 1e-12


GROUP_SAMPLES = ("compact", "full")


def test_measures__row_roundtrip() -> None:
    events = [Facts(DAY, "beta", "fast", "", "medium", "watch", "rebuild", "linux", "stable", "dev", "0.2.22",
                    "0.7.4", "1.84.0", outcome, 1000 * i, (1, 2, 3, None, 5, 6), None, None, None)
              for i, outcome in enumerate(["success", "failure", "interrupted", "success"], start=1)]
    measures = roll_up(events, feature="f")
    for m in measures.values():
        assert Measures.from_row(m.row_values()) == m
    one = next(iter(measures.values()))
    assert (one.events, one.successes, one.failures, one.interrupted) == (4, 2, 1, 1)
    assert one.duration_sum_ms == 5000 and one.phase_events == 2 and one.phase_ms == [2, 4, 6, 0, 10, 12]


def test_rollup_key__digest__stable_and_distinct() -> None:
    a = RollupKey("full", DAY, "f", ("beta",) + ("",) * 10)
    b = RollupKey("full", DAY, "f", ("",) + ("beta",) + ("",) * 9)
    assert a.digest == RollupKey("full", DAY, "f", ("beta",) + ("",) * 10).digest
    assert a.digest != b.digest and len(a.digest) == 32


def test_grouping_for__picks_the_cheapest_that_has_every_dimension() -> None:
    assert grouping_for([]) == "compact"
    assert grouping_for(["kind", "mode"]) == "compact"
    assert grouping_for(["kind", "ring"]) == "cohort"
    assert grouping_for(["os", "variant"]) == "platform"
    assert grouping_for(["os", "ring"]) == "full"
    assert grouping_for(["component", "version", "mode"]) == "version_compact"
    assert grouping_for(["component", "version", "mode", "os"]) == "version"
    assert grouping_for(["component", "version", "command"]) is None
    assert GROUPING_ORDER[-1] == "full" and set(GROUPINGS["full"]) >= set().union(
        *(set(GROUPINGS[g]) for g in GROUPING_ORDER))


def test_roll_up__realistic_volume__compresses() -> None:
    rng = np.random.default_rng(0)
    events = [Facts(DAY, "beta", "fast", "", "medium", "watch", "rebuild", "linux", "stable", "dev", "0.2.22",
                    "0.7.4", "1.84.0", "success", int(v), None, None, None, None)
              for v in rng.lognormal(np.log(9000), 0.4, 5000)]
    deltas = roll_up(events, feature="f")
    assert len(deltas) == 10  # four groupings, two version groupings of three tools
    assert all(len(m.duration_hist) < 150 for m in deltas.values())

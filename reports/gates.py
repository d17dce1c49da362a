"""Phase gates: pure evaluation of the plan's criteria against measured figures. No Django import.

Each criterion is pass, fail or inconclusive and carries its numbers. Too little data never passes a gate: it
holds the phase. The recommendation is promote (every criterion passes), roll back (a guard fails: fast mode
fails more than normal mode, hot reload is clearly unreliable, or developers are unhappy), or hold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "inconclusive"]
Recommendation = Literal["promote", "hold", "roll_back"]


@dataclass(frozen=True)
class Figure:
    """A measured value with its sample size and, where it has one, its confidence interval."""

    value: float | None
    n: int
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class GateInputs:
    rebuild_p50_fast_ms: Figure  # fast mode, the gate's size bucket
    improvement: Figure  # 1 - fast p50 / normal p50, with its interval
    hot_reload_success: Figure  # success rate, Wilson interval
    failure_rate_fast: Figure
    failure_rate_normal: Figure
    net_sentiment: Figure  # (positive - negative) / n
    builds: int
    installations: int
    feedback_items: int


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    status: Status
    detail: str
    measured: float | None
    threshold: float | None
    n: int
    guard: bool = False


@dataclass(frozen=True)
class GateResult:
    criteria: tuple[Criterion, ...]
    recommendation: Recommendation
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return all(c.status == "pass" for c in self.criteria)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "recommendation": self.recommendation,
            "reasons": list(self.reasons),
            "criteria": [asdict(c) for c in self.criteria],
        }


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def _rebuild_p50(inputs: GateInputs, t: dict[str, Any]) -> Criterion:
    limit = float(t["rebuild_p50_ms_max"])
    figure = inputs.rebuild_p50_fast_ms
    label = f"Fast-mode rebuild p50 ({t['size_bucket']} projects) under {limit / 1000:.0f} s"
    if figure.value is None or figure.n < t["min_builds"]:
        return Criterion(
            "rebuild_p50",
            label,
            "inconclusive",
            f"{figure.n} rebuilds, need {t['min_builds']}",
            figure.value,
            limit,
            figure.n,
        )
    status: Status = "pass" if figure.value < limit else "fail"
    return Criterion(
        "rebuild_p50",
        label,
        status,
        f"p50 {figure.value / 1000:.2f} s over {figure.n} rebuilds",
        figure.value,
        limit,
        figure.n,
    )


def _improvement(inputs: GateInputs, t: dict[str, Any]) -> Criterion:
    need = float(t["improvement_min"])
    figure = inputs.improvement
    label = f"At least {need * 100:.0f} % faster than normal mode (worse end of the interval)"
    if figure.value is None or figure.low is None or figure.n < t["min_builds"]:
        return Criterion(
            "improvement",
            label,
            "inconclusive",
            f"{figure.n} paired builds, need {t['min_builds']}",
            figure.value,
            need,
            figure.n,
        )
    detail = f"{_pct(figure.value)} faster (95 % CI {_pct(figure.low)} to {_pct(figure.high)})"
    if figure.low >= need:
        status: Status = "pass"
    elif figure.high is not None and figure.high < need:
        status = "fail"
    else:
        status = "inconclusive"
    return Criterion("improvement", label, status, detail, figure.value, need, figure.n)


def _hot_reload(inputs: GateInputs, t: dict[str, Any]) -> Criterion:
    need = float(t["hot_reload_success_min"])
    figure = inputs.hot_reload_success
    label = f"Hot-reload success at least {need * 100:.0f} % (Wilson lower bound)"
    if figure.value is None or figure.low is None or figure.n < t["min_builds"]:
        return Criterion(
            "hot_reload",
            label,
            "inconclusive",
            f"{figure.n} reloads, need {t['min_builds']}",
            figure.value,
            need,
            figure.n,
            guard=True,
        )
    detail = f"{_pct(figure.value)} (95 % Wilson {_pct(figure.low)} to {_pct(figure.high)}) over {figure.n}"
    if figure.low >= need:
        status: Status = "pass"
    elif figure.high is not None and figure.high < need:
        status = "fail"
    else:
        status = "inconclusive"
    return Criterion("hot_reload", label, status, detail, figure.value, need, figure.n, guard=True)


def _failure_rate(inputs: GateInputs, t: dict[str, Any]) -> Criterion:
    delta = float(t["failure_rate_max_delta"])
    fast, normal = inputs.failure_rate_fast, inputs.failure_rate_normal
    label = "Fast-mode failure rate not worse than normal mode's"
    n = min(fast.n, normal.n)
    if fast.value is None or normal.value is None or n < t["min_builds"]:
        return Criterion(
            "failure_rate",
            label,
            "inconclusive",
            f"{fast.n} fast / {normal.n} normal builds",
            fast.value,
            normal.value,
            n,
            guard=True,
        )
    detail = f"fast {_pct(fast.value)} vs normal {_pct(normal.value)}"
    # Worse only when the fast interval lies wholly above normal's rate plus the allowed delta.
    limit = normal.value + delta
    lower = fast.low if fast.low is not None else fast.value
    if fast.value <= limit:
        status: Status = "pass"
    elif lower > limit:
        status = "fail"
    else:
        status = "inconclusive"
    return Criterion("failure_rate", label, status, detail, fast.value, limit, n, guard=True)


def _sentiment(inputs: GateInputs, t: dict[str, Any]) -> Criterion:
    need = float(t["net_sentiment_min"])
    figure = inputs.net_sentiment
    label = "Net developer sentiment not negative"
    if figure.value is None or figure.n < t["min_feedback_items"]:
        return Criterion(
            "net_sentiment",
            label,
            "inconclusive",
            f"{figure.n} feedback items, need {t['min_feedback_items']}",
            figure.value,
            need,
            figure.n,
            guard=True,
        )
    status: Status = "pass" if figure.value >= need else "fail"
    return Criterion(
        "net_sentiment",
        label,
        status,
        f"net {figure.value:+.2f} over {figure.n} items",
        figure.value,
        need,
        figure.n,
        guard=True,
    )


def _samples(inputs: GateInputs, t: dict[str, Any]) -> Criterion:
    short = []
    if inputs.builds < t["min_builds"]:
        short.append(f"builds {inputs.builds}/{t['min_builds']}")
    if inputs.installations < t["min_installations"]:
        short.append(f"installations {inputs.installations}/{t['min_installations']}")
    if inputs.feedback_items < t["min_feedback_items"]:
        short.append(f"feedback {inputs.feedback_items}/{t['min_feedback_items']}")
    detail = (
        ", ".join(short)
        if short
        else (
            f"{inputs.builds} builds, {inputs.installations} installations, {inputs.feedback_items} feedback items"
        )
    )
    return Criterion(
        "samples",
        "Minimum samples",
        "inconclusive" if short else "pass",
        detail,
        float(inputs.builds),
        float(t["min_builds"]),
        inputs.builds,
    )


def evaluate_gate(inputs: GateInputs, thresholds: dict[str, Any]) -> GateResult:
    criteria = (
        _rebuild_p50(inputs, thresholds),
        _improvement(inputs, thresholds),
        _hot_reload(inputs, thresholds),
        _failure_rate(inputs, thresholds),
        _sentiment(inputs, thresholds),
        _samples(inputs, thresholds),
    )
    failed_guards = [c for c in criteria if c.guard and c.status == "fail"]
    if failed_guards:
        return GateResult(criteria, "roll_back", tuple(f"{c.label}: {c.detail}" for c in failed_guards))
    if all(c.status == "pass" for c in criteria):
        return GateResult(criteria, "promote", ("Every criterion passes.",))
    reasons = tuple(f"{c.label}: {c.status} ({c.detail})" for c in criteria if c.status != "pass")
    return GateResult(criteria, "hold", reasons)

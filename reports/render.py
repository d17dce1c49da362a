"""Rollout report renderings: Markdown (for GitHub and Discord) and an HTML fragment (for the dashboard).

The report data (JSON) is turned into display-ready rows here, so both templates stay plain.
"""

from typing import Any

from django.template.loader import render_to_string

MARKER = "<!-- pitwall:rollout-report -->"

RECOMMENDATION_TEXT = {
    "promote": "Promote to the next phase",
    "hold": "Hold the current phase",
    "roll_back": "Roll back (pause fast mode)",
}
STATUS_MARK = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE"}


def ms(value: float | None) -> str:
    if value is None:
        return "too few"
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f} %"


def _interval(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f" (95 % CI {pct(low)} to {pct(high)})"


def _build_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    by_key = {(g["kind"], g["mode"]): g["timing"] for g in data["build_times"]["groups"]}
    rows = []
    for kind in ("rebuild", "build"):
        fast, normal = by_key.get((kind, "fast")), by_key.get((kind, "normal"))
        if fast is None and normal is None:
            continue
        rows.append(
            {
                "kind": kind,
                "normal_p50": ms(normal["p50_ms"]) if normal else "too few",
                "fast_p50": ms(fast["p50_ms"]) if fast else "too few",
                "fast_p90": ms(fast["p90_ms"]) if fast else "too few",
                "n_fast": fast["n"] if fast else 0,
                "n_normal": normal["n"] if normal else 0,
            }
        )
    return rows


def _hot_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for group in data["hot_reload"]["groups"]:
        rate = group["success_rate"]
        rows.append(
            {
                "mode": group["mode"],
                "success": pct(rate["rate"]) + _interval(rate["ci_low"], rate["ci_high"])
                if rate["rate"] is not None
                else "too few reloads",
                "n": rate["n"],
                "time_to_patch": ms(group["time_to_patch"]["p50_ms"]),
            }
        )
    return rows


def _trend_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [
        {"day": p["period_start"], "p50": ms(p["timing"]["p50_ms"]), "n": p["events"]}
        for p in data["trend"]["points"]
        if p["mode"] == "fast" and p["events"]
    ]
    return rows[-14:]


def _phase_rows(data: dict[str, Any]) -> list[dict[str, str]]:
    fast = next((g for g in data["phases"]["groups"] if g["mode"] == "fast"), None)
    if fast is None or fast["insufficient_data"]:
        return []
    return [{"name": name.replace("_", "-"), "share": pct(share)} for name, share in fast["share"].items()]


def _context(data: dict[str, Any]) -> dict[str, Any]:
    gate = data.get("gate") or {}
    improvement = data["improvement"]["p50_improvement"]
    net = data["sentiment"]["net"]
    return {
        "data": data,
        "marker": MARKER,
        "recommendation_text": RECOMMENDATION_TEXT.get(data["recommendation"], data["recommendation"]),
        "criteria": [
            {**c, "mark": STATUS_MARK.get(c["status"], c["status"])} for c in gate.get("criteria", [])
        ],
        "reasons": gate.get("reasons", []),
        "build_rows": _build_rows(data),
        "improvement": pct(improvement["value"]) + _interval(improvement["ci_low"], improvement["ci_high"])
        if improvement["value"] is not None
        else "not enough data yet",
        "hot_rows": _hot_rows(data),
        "trend_rows": _trend_rows(data),
        "phase_rows": _phase_rows(data),
        "advice": data["recommendations"]["recommendations"],
        "net_sentiment": "n/a" if net["net"] is None else f"{net['net']:+.2f}",
        "sentiment": data["sentiment"],
        "pain_points": data["pain_points"],
        "participation": data["participation"],
    }


def report_markdown(data: dict[str, Any]) -> str:
    return render_to_string("reports/report.md", _context(data)).strip() + "\n"


def report_html(data: dict[str, Any]) -> str:
    return render_to_string("reports/report_fragment.html", _context(data))

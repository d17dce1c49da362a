"""Forms of the dashboard and the public pages: they parse and validate; the views call services and selectors."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings

from feedback.models import FeedbackSource, SentimentLabel, Topic, TriageState
from feedback.selectors import FeedbackFilters
from rollout.models import EnrollmentRing, Feature, Phase, PhaseKey, Ring
from telemetry.schema import COMMANDS, MODES, OSES, SEMVER_PATTERN, SIZE_BUCKETS, TOOLCHAINS
from telemetry.selectors import MetricsFilter

ANY = ""
NO_VARIANT = "(none)"
WINDOW_CHOICES = [(7, "7 days"), (14, "14 days"), (30, "30 days"), (60, "60 days"), (90, "90 days")]


def _choices(values: tuple[str, ...] | list[str], any_label: str = "any") -> list[tuple[str, str]]:
    return [(ANY, any_label), *((value, value) for value in values)]


def _semver_field(label: str) -> forms.RegexField:
    return forms.RegexField(
        regex=SEMVER_PATTERN,
        required=False,
        label=label,
        max_length=64,
        error_messages={"invalid": "A version like 0.2.24 or 1.85.0-nightly."},
    )


class TelemetryFilterForm(forms.Form):
    """The telemetry issue's filters, as GET parameters; an empty value means any."""

    days = forms.TypedChoiceField(
        choices=WINDOW_CHOICES, coerce=int, required=False, empty_value=None, label="Window"
    )
    ring = forms.ChoiceField(choices=_choices(Ring.values), required=False)
    mode = forms.ChoiceField(choices=_choices(MODES), required=False)
    variant = forms.CharField(
        required=False, max_length=64, help_text=f"Settings variant; {NO_VARIANT} = events without one."
    )
    size_bucket = forms.ChoiceField(choices=_choices(SIZE_BUCKETS), required=False, label="Project size")
    command = forms.ChoiceField(choices=_choices(COMMANDS), required=False)
    os = forms.ChoiceField(choices=_choices(OSES), required=False, label="OS")
    toolchain = forms.ChoiceField(choices=_choices(TOOLCHAINS), required=False)
    cargo_leptos_version = _semver_field("cargo-leptos")
    leptos_version = _semver_field("leptos")
    kind = forms.ChoiceField(
        choices=[("rebuild", "rebuild"), ("build", "build")],
        required=False,
        label="Trend of",
        initial="rebuild",
    )
    period = forms.ChoiceField(
        choices=[("day", "day"), ("week", "week")], required=False, label="per", initial="day"
    )

    DEFAULTS: dict[str, str] = {"days": "30", "kind": "rebuild", "period": "day"}

    @classmethod
    def with_defaults(cls, query: Any) -> dict[str, Any]:
        """The query string over the defaults, so an empty filter shows what it filters."""
        return {**cls.DEFAULTS, **{key: query.get(key) for key in query}}

    def clean_variant(self) -> str | None:
        value = self.cleaned_data["variant"].strip()
        if not value:
            return None
        return "" if value == NO_VARIANT else value

    def metrics_filter(self) -> MetricsFilter:
        """The selectors' filter; call after is_valid()."""
        data = self.cleaned_data
        filters: dict[str, Any] = {
            name: data.get(name) or None
            for name in (
                "ring",
                "mode",
                "size_bucket",
                "command",
                "os",
                "toolchain",
                "cargo_leptos_version",
                "leptos_version",
            )
        }
        filters["variant"] = data.get("variant")
        return MetricsFilter.last_days(data.get("days") or settings.TELEMETRY_DEFAULT_WINDOW_DAYS, **filters)

    @property
    def trend_kind(self) -> str:
        return str(self.cleaned_data.get("kind") or "rebuild")

    @property
    def trend_period(self) -> str:
        return str(self.cleaned_data.get("period") or "day")


def _day_start(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min, tzinfo=UTC)


class FeedbackFilterForm(forms.Form):
    search = forms.CharField(
        required=False, max_length=200, label="Search", help_text="In the text and the author's handle."
    )
    source = forms.ChoiceField(choices=[(ANY, "any"), *FeedbackSource.choices], required=False)
    ring = forms.ChoiceField(choices=[(ANY, "any"), *Ring.choices], required=False)
    phase = forms.ChoiceField(choices=[(ANY, "any"), *PhaseKey.choices], required=False)
    label = forms.ChoiceField(
        choices=[(ANY, "any"), *SentimentLabel.choices], required=False, label="Sentiment"
    )
    topic = forms.ChoiceField(choices=[(ANY, "any"), *Topic.choices], required=False)
    triage_state = forms.ChoiceField(
        choices=[(ANY, "any"), *TriageState.choices], required=False, label="Triage"
    )
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To", help_text="Inclusive."
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end is before the start.")
        return cleaned

    def feedback_filters(self) -> FeedbackFilters:
        data = self.cleaned_data
        until = data.get("until")
        return FeedbackFilters(
            source=data.get("source") or "",
            ring=data.get("ring") or "",
            phase=data.get("phase") or "",
            label=data.get("label") or "",
            topics=(data["topic"],) if data.get("topic") else (),
            triage_state=data.get("triage_state") or "",
            since=_day_start(data.get("since")),
            until=_day_start(until + timedelta(days=1)) if until else None,
            search=(data.get("search") or "").strip(),
        )


class TriageForm(forms.Form):
    triage_state = forms.ChoiceField(choices=TriageState.choices, label="State")
    maintainer_note = forms.CharField(
        required=False, max_length=2000, label="Note", widget=forms.Textarea(attrs={"rows": 2, "cols": 40})
    )
    # Where to go back to: the inbox with its filters (checked against the host in the view).
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)


class ReasonField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2000)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "cols": 60}))
        kwargs.setdefault("help_text", "Kept in the audit log with your name.")
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        cleaned = str(super().clean(value)).strip()
        if not cleaned:
            raise forms.ValidationError("Say why.", code="required")
        return cleaned


class KillSwitchForm(forms.Form):
    # The state asked for, not a toggle: submitting the same page twice cannot flip it back.
    enabled = forms.TypedChoiceField(
        choices=[("on", "on"), ("off", "off")], coerce=lambda v: v == "on", widget=forms.HiddenInput
    )
    reason = ReasonField()
    confirm = forms.BooleanField(label="I understand this changes fast mode for every installation at once.")


class PhaseChangeForm(forms.Form):
    target = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Move to")
    reason = ReasonField()
    override_gate = forms.BooleanField(
        required=False,
        label="Promote although the gate does not recommend it",
        help_text="Only for a promotion; recorded as an override in the phase transition.",
    )
    confirm = forms.BooleanField(label="I have read the gate evaluation above.")

    def __init__(self, *args: Any, phases: list[tuple[Phase, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(phase.pk, f"{phase.name} ({what})") for phase, what in phases]


class PercentageForm(forms.Form):
    rollout_percentage = forms.IntegerField(min_value=0, max_value=100, label="Share of everyone else (%)")
    reason = ReasonField()


class ReportCreateForm(forms.Form):
    feature = forms.ModelChoiceField(
        queryset=Feature.objects.filter(current_phase__isnull=False), to_field_name="key", empty_label=None
    )
    days = forms.IntegerField(min_value=1, max_value=90, initial=14, label="Window (days)")


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        required=False,
        max_length=80,
        label="Action starts with",
        help_text="e.g. rollout.feature or feedback.",
    )
    object_type = forms.CharField(
        required=False, max_length=80, label="Object type", help_text="e.g. rollout.feature"
    )
    actor = forms.CharField(required=False, max_length=200, label="Actor contains")


class JoinForm(forms.Form):
    """The public enrollment form; the same rules as the enrollment API (rollout.api.EnrollmentCreateApi)."""

    handle = forms.RegexField(
        regex=r"^[\w .@-]{1,80}$",
        max_length=80,
        label="Name or handle",
        help_text="How maintainers see you (letters, digits, spaces, . @ - _). A nickname is fine.",
        error_messages={"invalid": "Use letters, digits, spaces and . @ - _ only (at most 80)."},
    )
    ring = forms.ChoiceField(
        choices=EnrollmentRing.choices,
        initial=EnrollmentRing.BETA,
        widget=forms.RadioSelect,
        label="Ring",
    )
    consent = forms.BooleanField(
        label="I agree to the terms above.",
        error_messages={"required": "Enrollment needs your consent to the terms shown."},
    )

    def clean_handle(self) -> str:
        return str(self.cleaned_data["handle"]).strip()

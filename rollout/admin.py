"""Maintainer admin. Every write goes through rollout.services, so the admin leaves the same audit trail."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from pitwall.errors import ApplicationError
from rollout import services, validation
from rollout.models import (
    AuditEvent,
    Enrollment,
    EnrollmentCode,
    Feature,
    Installation,
    Participant,
    Phase,
    PhaseTransition,
    Segment,
    Strategy,
)


def _as_validation_error(exc: ApplicationError) -> ValidationError:
    return ValidationError(exc.message, code=exc.code)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FeatureForm(forms.ModelForm):  # type: ignore[type-arg]
    change_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the kill switch (enabled) changes; kept in the audit log.",
    )

    class Meta:
        model = Feature
        fields = ["key", "description", "enabled", "variants", "dependencies"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            validation.validate_variants(cleaned.get("variants", []))
            validation.validate_dependencies(cleaned.get("dependencies", []))
        except ApplicationError as exc:
            raise _as_validation_error(exc) from exc
        if (
            self.instance.pk
            and "enabled" in self.changed_data
            and not cleaned.get("change_reason", "").strip()
        ):
            self.add_error("change_reason", "Say why the kill switch is flipped.")
        return cleaned


class StrategyInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Strategy
    fields = ("sort_order", "name", "title", "parameters", "constraints", "disabled", "from_phase_template")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Feature)
class FeatureAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = FeatureForm
    list_display = ["key", "enabled", "current_phase", "updated_at", "phase_link"]
    readonly_fields = ["salt", "current_phase", "created_at", "updated_at"]
    inlines = [StrategyInline]
    actions = ["kill_switch_off", "kill_switch_on"]

    def get_readonly_fields(self, request: HttpRequest, obj: Feature | None = None) -> list[str]:
        return [*self.readonly_fields, "key"] if obj else list(self.readonly_fields)

    @admin.display(description="Phase")
    def phase_link(self, obj: Feature) -> str:
        url = reverse("admin:rollout_feature_move_phase", args=[obj.pk])
        return format_html('<a href="{}">Change phase…</a>', url)

    def save_model(self, request: HttpRequest, obj: Feature, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = services.feature_create(
                key=data["key"],
                description=data["description"],
                enabled=data["enabled"],
                variants=data["variants"],
                dependencies=data["dependencies"],
                actor=request.user,
            )
            obj.pk = created.pk
            return
        services.feature_update(
            feature=obj,
            actor=request.user,
            description=data["description"],
            variants=data["variants"],
            dependencies=data["dependencies"],
            reason=data.get("change_reason", ""),
        )
        if "enabled" in form.changed_data:
            services.feature_set_enabled(
                feature=obj, enabled=data["enabled"], actor=request.user, reason=data["change_reason"]
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Kill switch: pause the selected features for everyone")
    def kill_switch_off(self, request: HttpRequest, queryset: QuerySet[Feature]) -> None:
        for feature in queryset:
            services.feature_set_enabled(
                feature=feature, enabled=False, actor=request.user, reason="Kill switch from the admin list."
            )
        self.message_user(request, f"Paused {queryset.count()} feature(s).", messages.WARNING)

    @admin.action(description="Resume the selected features")
    def kill_switch_on(self, request: HttpRequest, queryset: QuerySet[Feature]) -> None:
        for feature in queryset:
            services.feature_set_enabled(
                feature=feature, enabled=True, actor=request.user, reason="Resumed from the admin list."
            )
        self.message_user(request, f"Resumed {queryset.count()} feature(s).")

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "<int:feature_id>/move-phase/",
                self.admin_site.admin_view(self.move_phase_view),
                name="rollout_feature_move_phase",
            )
        ]
        return custom + super().get_urls()

    def move_phase_view(self, request: HttpRequest, feature_id: int) -> HttpResponse:
        feature = get_object_or_404(Feature, pk=feature_id)
        if not self.has_change_permission(request, feature):
            return HttpResponse(status=403)
        form = MovePhaseForm(request.POST or None, feature=feature)
        if request.method == "POST" and form.is_valid():
            try:
                services.feature_move_to_phase(
                    feature=feature,
                    phase=form.cleaned_data["phase"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"{feature.key} moved to {form.cleaned_data['phase'].name}.")
                return HttpResponseRedirect(reverse("admin:rollout_feature_change", args=[feature.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Change the phase of {feature.key}",
            "feature": feature,
            "form": form,
            "opts": self.model._meta,
            "transitions": feature.transitions.select_related("from_phase", "to_phase")[:10],
        }
        return TemplateResponse(request, "admin/rollout/feature/move_phase.html", context)


class MovePhaseForm(forms.Form):
    phase = forms.ModelChoiceField(queryset=Phase.objects.none())
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(label="I have read the gate and want to apply this phase's strategies now.")

    def __init__(self, *args: Any, feature: Feature, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phase"].queryset = Phase.objects.filter(feature=feature).order_by("order")  # type: ignore[attr-defined]


class StrategyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Strategy
        fields = [
            "feature",
            "sort_order",
            "name",
            "title",
            "parameters",
            "constraints",
            "variants",
            "segments",
            "disabled",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            validation.validate_strategy(
                name=cleaned.get("name", ""),
                parameters=cleaned.get("parameters", {}),
                constraints=cleaned.get("constraints", []),
                variants=cleaned.get("variants", []),
            )
        except ApplicationError as exc:
            raise _as_validation_error(exc) from exc
        return cleaned


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = StrategyForm
    list_display = ["feature", "sort_order", "name", "title", "disabled", "from_phase_template"]
    list_filter = ["feature", "name"]

    def save_model(self, request: HttpRequest, obj: Strategy, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = services.strategy_save(
            feature=data["feature"],
            actor=request.user,
            strategy=obj if change else None,
            name=data["name"],
            parameters=data["parameters"],
            constraints=data["constraints"],
            variants=data["variants"],
            segments=list(data["segments"]),
            title=data["title"],
            sort_order=data["sort_order"],
            disabled=data["disabled"],
        )
        obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Segments were set by the service."""

    def delete_model(self, request: HttpRequest, obj: Strategy) -> None:
        services.strategy_delete(strategy=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Strategy]) -> None:
        for strategy in queryset:
            services.strategy_delete(strategy=strategy, actor=request.user)


class SegmentForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Segment
        fields = ["name", "description", "constraints"]

    def clean_constraints(self) -> Any:
        constraints = self.cleaned_data["constraints"]
        try:
            validation.validate_constraints(constraints)
        except ApplicationError as exc:
            raise _as_validation_error(exc) from exc
        return constraints


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = SegmentForm
    list_display = ["name", "description"]

    def save_model(self, request: HttpRequest, obj: Segment, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = services.segment_save(
            actor=request.user,
            name=data["name"],
            description=data["description"],
            constraints=data["constraints"],
            segment=obj if change else None,
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Segment) -> None:
        services.segment_delete(segment=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Segment]) -> None:
        for segment in queryset:
            services.segment_delete(segment=segment, actor=request.user)


class PhaseForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Phase
        fields = [
            "feature",
            "key",
            "order",
            "name",
            "description",
            "rings",
            "rollout_percentage",
            "gate_thresholds",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            validation.validate_phase_template(
                rings=cleaned.get("rings"), rollout_percentage=cleaned.get("rollout_percentage")
            )
            cleaned["gate_thresholds"] = validation.validate_gate_thresholds(
                cleaned.get("gate_thresholds") or {}
            )
        except ApplicationError as exc:
            raise _as_validation_error(exc) from exc
        return cleaned


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = PhaseForm
    list_display = ["feature", "order", "key", "name", "rings", "rollout_percentage"]
    list_filter = ["feature"]

    def get_readonly_fields(self, request: HttpRequest, obj: Phase | None = None) -> list[str]:
        return ["feature", "key", "order"] if obj else []

    def save_model(self, request: HttpRequest, obj: Phase, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.phase_update(
                phase=obj,
                actor=request.user,
                rings=data["rings"],
                rollout_percentage=data["rollout_percentage"],
                gate_thresholds=data["gate_thresholds"],
                description=data["description"],
            )
            return
        created = services.phase_create(
            feature=data["feature"],
            key=data["key"],
            order=data["order"],
            name=data["name"],
            actor=request.user,
            rings=data["rings"],
            rollout_percentage=data["rollout_percentage"],
            description=data["description"],
            gate_thresholds=data["gate_thresholds"],
        )
        obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PhaseTransition)
class PhaseTransitionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "feature", "from_phase", "to_phase", "actor", "reason"]
    list_filter = ["feature"]


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    list_display = ["handle", "discord_id", "github_login", "created_at"]
    search_fields = ["handle", "discord_id", "github_login"]


@admin.register(Installation)
class InstallationAdmin(ReadOnlyAdmin):
    list_display = ["id", "ring", "telemetry_consent", "os", "shim_version", "first_seen", "last_seen"]
    list_filter = ["ring", "telemetry_consent", "os"]
    exclude = ["token_hash"]
    actions = ["opt_out"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def delete_model(self, request: HttpRequest, obj: Installation) -> None:
        services.installation_delete(installation=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Installation]) -> None:
        for installation in queryset:
            services.installation_delete(installation=installation)

    @admin.action(description="Delete the selected installations and all their data (opt out)")
    def opt_out(self, request: HttpRequest, queryset: QuerySet[Installation]) -> None:
        count = queryset.count()
        self.delete_queryset(request, queryset)
        self.message_user(request, f"Deleted {count} installation(s) and their data.")


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "participant", "installation", "ring", "source", "joined_at", "left_at"]
    list_filter = ["ring", "source"]


@admin.register(EnrollmentCode)
class EnrollmentCodeAdmin(ReadOnlyAdmin):
    list_display = ["display", "enrollment", "expires_at", "used_at"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "object_type", "object_repr", "reason"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor", "action", "object_repr", "object_id"]
    date_hierarchy = "created_at"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_staff)

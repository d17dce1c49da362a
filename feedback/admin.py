"""The maintainers' feedback inbox in the admin. Triage, rescoring and deletion go through feedback.services."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html

from feedback import services
from feedback.models import FeedbackItem, FeedbackTopic, Topic, TriageState
from feedback.tasks import score_feedback_item


class TopicListFilter(admin.SimpleListFilter):
    title = "topic"
    parameter_name = "topic"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(value), str(label)) for value, label in Topic.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[FeedbackItem]) -> QuerySet[FeedbackItem]:
        if not self.value():
            return queryset
        return queryset.filter(pk__in=FeedbackTopic.objects.filter(topic=self.value()).values("item_id"))


class FeedbackItemForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = FeedbackItem
        fields = ["triage_state", "maintainer_note"]


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = FeedbackItemForm
    list_display = [
        "id", "created_at", "source", "author", "ring", "phase", "label", "score_display", "topics",
        "triage_state", "excerpt", "link",
    ]
    list_display_links = ["id", "excerpt"]
    list_filter = ["triage_state", "source", "label", TopicListFilter, "ring", "phase"]
    search_fields = ["text", "author_handle", "participant__handle"]
    date_hierarchy = "created_at"
    list_per_page = 50
    list_select_related = ["participant"]
    readonly_fields = [
        "source", "external_id", "author", "text", "link", "created_at", "received_at", "edited_at", "ring",
        "phase", "label", "score", "scorer_version", "scored_at", "topics", "triaged_at", "triaged_by",
    ]
    fieldsets = [
        (None, {"fields": ["text", "author", "source", "link", "external_id"]}),
        ("When", {"fields": ["created_at", "received_at", "edited_at", "ring", "phase"]}),
        ("Sentiment", {"fields": ["label", "score", "topics", "scorer_version", "scored_at"]}),
        ("Triage", {"fields": ["triage_state", "maintainer_note", "triaged_at", "triaged_by"]}),
    ]
    actions = ["mark_triaged", "mark_actioned", "mark_dismissed", "rescore", "delete_authors_feedback"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FeedbackItem]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("topic_rows", queryset=FeedbackTopic.objects.order_by("topic")))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting goes through the "delete authors' feedback" action, which audits it.
        return False

    @admin.display(description="Author")
    def author(self, obj: FeedbackItem) -> str:
        return obj.author_display

    @admin.display(description="Score", ordering="score")
    def score_display(self, obj: FeedbackItem) -> str:
        return "" if obj.score is None else f"{obj.score:+.2f}"

    @admin.display(description="Topics")
    def topics(self, obj: FeedbackItem) -> str:
        return ", ".join(row.topic for row in obj.topic_rows.all())

    @admin.display(description="Text")
    def excerpt(self, obj: FeedbackItem) -> str:
        text = " ".join(obj.text.split())
        return text if len(text) <= 100 else text[:99] + "…"

    @admin.display(description="Link")
    def link(self, obj: FeedbackItem) -> str:
        # format_html escapes the URL; only http(s) links become anchors.
        if obj.url.startswith(("https://", "http://")):
            return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">open</a>', obj.url)
        return ""

    def save_model(self, request: HttpRequest, obj: FeedbackItem, form: Any, change: bool) -> None:
        services.feedback_item_triage(
            item=obj,
            actor=request.user,
            triage_state=form.cleaned_data["triage_state"],
            maintainer_note=form.cleaned_data["maintainer_note"],
        )

    def _set_state(self, request: HttpRequest, queryset: QuerySet[FeedbackItem], state: str) -> None:
        for item in queryset:
            services.feedback_item_triage(item=item, actor=request.user, triage_state=state)
        self.message_user(request, f"Marked {len(queryset)} item(s) {state}.")

    @admin.action(description="Mark selected as triaged", permissions=["change"])
    def mark_triaged(self, request: HttpRequest, queryset: QuerySet[FeedbackItem]) -> None:
        self._set_state(request, queryset, TriageState.TRIAGED)

    @admin.action(description="Mark selected as actioned", permissions=["change"])
    def mark_actioned(self, request: HttpRequest, queryset: QuerySet[FeedbackItem]) -> None:
        self._set_state(request, queryset, TriageState.ACTIONED)

    @admin.action(description="Mark selected as dismissed", permissions=["change"])
    def mark_dismissed(self, request: HttpRequest, queryset: QuerySet[FeedbackItem]) -> None:
        self._set_state(request, queryset, TriageState.DISMISSED)

    @admin.action(description="Score selected again (with the current scorer)", permissions=["change"])
    def rescore(self, request: HttpRequest, queryset: QuerySet[FeedbackItem]) -> None:
        item_ids = list(queryset.values_list("pk", flat=True))
        for item_id in item_ids:
            score_feedback_item.delay(item_id)
        self.message_user(request, f"Queued {len(item_ids)} item(s) for scoring.")

    @admin.action(description="Delete ALL feedback of the selected items' authors (on request)", permissions=["change"])
    def delete_authors_feedback(
        self, request: HttpRequest, queryset: QuerySet[FeedbackItem]
    ) -> HttpResponse | None:
        people = _people_of(queryset)
        if request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "feedback/admin/delete_authors_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Delete these authors' feedback?",
                    "opts": self.model._meta,
                    "people": people,
                    "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
                    "action_checkbox_name": ACTION_CHECKBOX_NAME,
                    "action": "delete_authors_feedback",
                },
            )
        reason = request.POST.get("reason", "").strip() or "Deleted on the author's request."
        deleted = 0
        for person in people:
            if person["item"] is not None:
                services.feedback_item_delete(item=person["item"], actor=request.user, reason=reason)
                deleted += 1
            else:
                deleted += services.feedback_delete_for_person(
                    actor=request.user, participant=person["participant"], handle=person["handle"],
                    installation=person["installation"], reason=reason,
                )
        self.message_user(request, f"Deleted {deleted} feedback item(s) of {len(people)} author(s).",
                          messages.WARNING)
        return None


def _people_of(queryset: QuerySet[FeedbackItem]) -> list[dict[str, Any]]:
    """The distinct authors behind the selected items; an item with no author at all stands for itself."""
    people: dict[tuple[str, str], dict[str, Any]] = {}
    blank: dict[str, Any] = {"participant": None, "handle": "", "installation": None, "item": None}
    for item in queryset.select_related("participant", "installation__participant"):
        participant = item.participant or (item.installation.participant if item.installation else None)
        if participant is not None:
            key = ("participant", str(participant.pk))
            person = {**blank, "participant": participant, "label": f"participant {participant.handle}"}
        elif item.author_handle:
            key = ("handle", item.author_handle.lower())
            person = {**blank, "handle": item.author_handle, "label": f"author “{item.author_handle}”"}
        elif item.installation is not None:
            key = ("installation", str(item.installation_id))
            person = {**blank, "installation": item.installation, "label": item.author_display}
        else:
            key = ("item", str(item.pk))
            person = {**blank, "item": item, "label": f"anonymous item #{item.pk}"}
        people.setdefault(key, person)
    return list(people.values())

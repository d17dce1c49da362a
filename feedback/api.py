"""HTTP API of the feedback app: the shim's submit endpoint, and staff-only inbox and sentiment endpoints."""

from datetime import UTC, date, datetime, time
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.fields import empty
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from feedback import selectors, services
from feedback.models import MAX_TEXT_LENGTH, FeedbackItem, FeedbackSource, SentimentLabel, Topic, TriageState
from feedback.selectors import FeedbackFilters
from feedback.text import TEXT_PATTERN
from pitwall.api_input import JsonInput
from pitwall.errors import ApplicationError
from rollout.api import ERROR_SCHEMA, INSTALLATION_REFUSALS
from rollout.authentication import IsInstallation, request_installation
from rollout.models import Installation, PhaseKey, Ring

# --- shared pieces ------------------------------------------------------------------------------------------


class DateOrDateTimeField(serializers.Field[datetime, datetime, str, Any]):
    """An ISO 8601 date (midnight UTC) or datetime (naive means UTC)."""

    default_error_messages = {"invalid": "Use an ISO 8601 date (2026-11-01) or datetime (2026-11-01T12:00:00Z)."}

    def to_internal_value(self, data: Any) -> datetime:
        text = str(data).strip()
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time.min, tzinfo=UTC)
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail("invalid")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError:
            # Past the ends of the calendar in UTC (9999-12-31T23:00-05:00): as a bound, the calendar's end is
            # the same filter, and the database can store it.
            return datetime.max.replace(tzinfo=UTC) if value.year > 1 else datetime.min.replace(tzinfo=UTC)

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


class FilterSerializer(serializers.Serializer[Any]):
    # "source" and "label" shadow Field attributes in the stubs; DRF collects declared fields by name, so fine.
    source = serializers.ChoiceField(choices=FeedbackSource.choices, required=False)  # type: ignore[assignment]
    ring = serializers.ChoiceField(choices=Ring.choices, required=False)
    phase = serializers.ChoiceField(choices=PhaseKey.choices, required=False)
    label = serializers.ChoiceField(choices=SentimentLabel.choices, required=False)  # type: ignore[assignment]
    topic = serializers.ListField(child=serializers.ChoiceField(choices=Topic.choices), required=False)
    triage_state = serializers.ChoiceField(choices=TriageState.choices, required=False)
    since = DateOrDateTimeField(required=False)
    until = DateOrDateTimeField(required=False)
    q = serializers.CharField(required=False, max_length=200)

    def to_filters(self) -> FeedbackFilters:
        data = self.validated_data
        return FeedbackFilters(
            source=data.get("source", ""),
            ring=data.get("ring", ""),
            phase=data.get("phase", ""),
            label=data.get("label", ""),
            topics=tuple(data.get("topic", ())),
            triage_state=data.get("triage_state", ""),
            since=data.get("since"),
            until=data.get("until"),
            search=data.get("q", "").strip(),
        )


def _filters_from(request: Request, serializer_class: type[FilterSerializer] = FilterSerializer) -> Any:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer


FILTER_PARAMETERS = [
    OpenApiParameter("source", OpenApiTypes.STR, enum=FeedbackSource.values),
    OpenApiParameter("ring", OpenApiTypes.STR, enum=Ring.values, description="Author's ring when sent."),
    OpenApiParameter("phase", OpenApiTypes.STR, enum=PhaseKey.values, description="Fast-mode phase when sent."),
    OpenApiParameter("label", OpenApiTypes.STR, enum=SentimentLabel.values),
    OpenApiParameter("topic", OpenApiTypes.STR, enum=Topic.values, many=True, description="Any of these topics."),
    OpenApiParameter("triage_state", OpenApiTypes.STR, enum=TriageState.values),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="Written at or after (date or datetime, UTC)."),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="Written before (date or datetime, UTC)."),
    OpenApiParameter("q", {"type": "string", "maxLength": 200}, description="Text or author contains (case-insensitive)."),
]

FIGURES_FIELDS: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "n": serializers.IntegerField(help_text="Scored items counted."),
    "positive": serializers.IntegerField(),
    "neutral": serializers.IntegerField(),
    "negative": serializers.IntegerField(),
    "unscored": serializers.IntegerField(help_text="Matching items not scored yet (left out of n)."),
    "net": serializers.FloatField(allow_null=True, help_text="(positive - negative) / n; null when n is 0."),
    "mean_score": serializers.FloatField(allow_null=True, help_text="Mean score in -1..1; null when n is 0."),
}


def _item_body(item: FeedbackItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "source": item.source,
        "external_id": item.external_id,
        "url": item.url,
        "author": item.author_display,
        "participant_id": item.participant_id,
        "text": item.text,
        "created_at": item.created_at,
        "received_at": item.received_at,
        "edited_at": item.edited_at,
        "ring": item.ring,
        "phase": item.phase,
        "sentiment": {
            "label": item.label or None,
            "score": item.score,
            "scorer_version": item.scorer_version or None,
            "scored_at": item.scored_at,
            "current": item.scored_text_hash == item.text_hash,
        },
        "topics": selectors.item_topics(item),
        "triage_state": item.triage_state,
        "maintainer_note": item.maintainer_note,
        "triaged_at": item.triaged_at,
        "triaged_by": item.triaged_by.get_username() if item.triaged_by is not None else None,
    }


class FeedbackItemOutput(serializers.Serializer[Any]):
    class FeedbackSentimentOutput(serializers.Serializer[Any]):
        label = serializers.ChoiceField(  # type: ignore[assignment]
            choices=SentimentLabel.choices, allow_null=True
        )
        score = serializers.FloatField(allow_null=True)
        scorer_version = serializers.CharField(allow_null=True)
        scored_at = serializers.DateTimeField(allow_null=True)
        current = serializers.BooleanField(help_text="False while an edit waits to be scored (old score shown).")

    id = serializers.IntegerField()
    source = serializers.ChoiceField(choices=FeedbackSource.choices)  # type: ignore[assignment]
    external_id = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    author = serializers.CharField()
    participant_id = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()
    created_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    ring = serializers.CharField(allow_blank=True, help_text='Ring when sent; "" when the author is unknown.')
    phase = serializers.CharField(allow_blank=True, help_text="Fast-mode phase key when sent.")
    sentiment = FeedbackSentimentOutput()
    topics = serializers.ListField(child=serializers.ChoiceField(choices=Topic.choices))
    triage_state = serializers.ChoiceField(choices=TriageState.choices)
    maintainer_note = serializers.CharField(allow_blank=True)
    triaged_at = serializers.DateTimeField(allow_null=True)
    triaged_by = serializers.CharField(allow_null=True)


# --- the shim -----------------------------------------------------------------------------------------------


@extend_schema_field(
    {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_LENGTH, "pattern": TEXT_PATTERN,
     "description": "Not blank; tab and newlines are the only control characters taken."}
)
class FeedbackTextField(serializers.CharField):
    """Taken as sent, not trimmed; feedback.text checks it, so the API answers with the same `feedback_text_*` codes
    as the service. The document states the same rules."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(trim_whitespace=False, **kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        # Not DRF's allow_blank (the document would then allow ""): "" goes on to get feedback_text_empty too.
        return "" if data == "" else super().run_validation(data)


class ShimFeedbackThrottle(SimpleRateThrottle):
    """Per installation (not per address: many developers share an office NAT)."""

    scope = "feedback_shim"

    def get_rate(self) -> str:
        return str(settings.PITWALL_FEEDBACK_SHIM_RATE)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, Installation):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class FeedbackSubmitApi(APIView):
    """Send feedback from `leptos-fast feedback`. Idempotent by `client_id`: sending the same one again returns
    the same item (header `Idempotent-Replayed: true`); different text under the same id replaces the text."""

    permission_classes = [IsInstallation]
    throttle_classes = [ShimFeedbackThrottle]

    class FeedbackSubmitInput(JsonInput):
        text = FeedbackTextField()
        client_id = serializers.UUIDField()

    @extend_schema(
        operation_id="feedback_submit",
        request=FeedbackSubmitInput,
        responses={
            201: inline_serializer(
                "FeedbackReceived",
                fields={"id": serializers.IntegerField(), "status": serializers.ChoiceField(choices=["received"])},
            ),
            400: ERROR_SCHEMA,
            **INSTALLATION_REFUSALS,
            429: ERROR_SCHEMA,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.FeedbackSubmitInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        receipt = services.feedback_submit_from_installation(
            installation=request_installation(request),
            client_id=serializer.validated_data["client_id"],
            text=serializer.validated_data["text"],
        )
        response = Response({"id": receipt.item.pk, "status": "received"}, status=status.HTTP_201_CREATED)
        if not receipt.created:
            response["Idempotent-Replayed"] = "true"
        return response


# --- staff: the inbox ---------------------------------------------------------------------------------------


class FeedbackItemListApi(APIView):
    """The feedback inbox, newest first, filtered and searched. Staff only."""

    permission_classes = [IsAdminUser]

    class ListFilterSerializer(FilterSerializer):
        limit = serializers.IntegerField(min_value=1, max_value=200, default=50)
        offset = serializers.IntegerField(min_value=0, default=0)

    @extend_schema(
        operation_id="feedback_item_list",
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 200}, description="Default 50."),
            OpenApiParameter("offset", {"type": "integer", "minimum": 0}, description="Default 0."),
        ],
        responses={
            200: inline_serializer(
                "FeedbackItemPage",
                fields={
                    "count": serializers.IntegerField(),
                    "limit": serializers.IntegerField(),
                    "offset": serializers.IntegerField(),
                    "results": FeedbackItemOutput(many=True),
                },
            ),
            400: ERROR_SCHEMA,
            401: ERROR_SCHEMA,
            403: ERROR_SCHEMA,
        },
    )
    def get(self, request: Request) -> Response:
        serializer = _filters_from(request, self.ListFilterSerializer)
        items = selectors.feedback_item_list(filters=serializer.to_filters())
        limit, offset = serializer.validated_data["limit"], serializer.validated_data["offset"]
        page = list(items[offset : offset + limit])
        return Response(
            {
                "count": items.count(),
                "limit": limit,
                "offset": offset,
                "results": FeedbackItemOutput([_item_body(item) for item in page], many=True).data,
            }
        )


MAX_NOTE_LENGTH = 4000


class FeedbackItemDetailApi(APIView):
    """One feedback item; PATCH sets its triage state and maintainer note. Staff only."""

    permission_classes = [IsAdminUser]

    class FeedbackTriageInput(JsonInput):
        triage_state = serializers.ChoiceField(choices=TriageState.choices, required=False)
        maintainer_note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE_LENGTH)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if not attrs:
                raise serializers.ValidationError("Send triage_state, maintainer_note or both.")
            return attrs

    def _item(self, item_id: int) -> FeedbackItem:
        item = selectors.feedback_item_get(item_id=item_id)
        if item is None:
            raise ApplicationError("No such feedback item.", code="not_found", status_code=404)
        return item

    @extend_schema(
        operation_id="feedback_item_read",
        responses={200: FeedbackItemOutput, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA},
    )
    def get(self, request: Request, item_id: int) -> Response:
        return Response(FeedbackItemOutput(_item_body(self._item(item_id))).data)

    @extend_schema(
        operation_id="feedback_item_triage",
        # By hand: a serializer cannot say "at least one of", and validate() refuses a body with neither.
        request={
            "application/json": {
                "type": "object",
                "properties": {
                    "triage_state": {"type": "string", "enum": TriageState.values},
                    "maintainer_note": {"type": "string", "maxLength": MAX_NOTE_LENGTH},
                },
                "anyOf": [{"required": ["triage_state"]}, {"required": ["maintainer_note"]}],
            }
        },
        responses={200: FeedbackItemOutput, 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA},
    )
    def patch(self, request: Request, item_id: int) -> Response:
        serializer = self.FeedbackTriageInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.feedback_item_triage(
            item=self._item(item_id),
            actor=request.user,
            triage_state=serializer.validated_data.get("triage_state"),
            maintainer_note=serializer.validated_data.get("maintainer_note"),
        )
        return Response(FeedbackItemOutput(_item_body(self._item(item_id))).data)


# --- staff: sentiment ---------------------------------------------------------------------------------------


class FeedbackNetSentimentApi(APIView):
    """Net sentiment, (positive - negative) / n, over the scored items that match the filters. Staff only.

    "Sentiment on performance" (the plan's metric) is `topic=compile_time&topic=hot_reload&topic=runtime_performance`.
    """

    permission_classes = [IsAdminUser]

    @extend_schema(
        operation_id="feedback_net_sentiment",
        parameters=FILTER_PARAMETERS,
        responses={
            200: inline_serializer("FeedbackNetSentiment", fields=FIGURES_FIELDS),
            400: ERROR_SCHEMA,
            401: ERROR_SCHEMA,
            403: ERROR_SCHEMA,
        },
    )
    def get(self, request: Request) -> Response:
        filters = _filters_from(request).to_filters()
        return Response(selectors.feedback_net_sentiment(filters=filters))


class FeedbackSentimentOverTimeApi(APIView):
    """Sentiment per day or ISO week (UTC) per ring and phase: counts per label, net, mean score. Staff only."""

    permission_classes = [IsAdminUser]

    class OverTimeFilterSerializer(FilterSerializer):
        bucket = serializers.ChoiceField(choices=["day", "week"], default="week")

    @extend_schema(
        operation_id="feedback_sentiment_over_time",
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter("bucket", OpenApiTypes.STR, enum=["day", "week"], description="Default week."),
        ],
        responses={
            200: inline_serializer(
                "FeedbackSentimentOverTime",
                fields={
                    "bucket": serializers.ChoiceField(choices=["day", "week"]),
                    "series": inline_serializer(
                        "FeedbackSentimentBucket",
                        fields={
                            "bucket_start": serializers.DateField(),
                            "ring": serializers.CharField(allow_blank=True),
                            "phase": serializers.CharField(allow_blank=True),
                            **FIGURES_FIELDS,
                        },
                        many=True,
                    ),
                },
            ),
            400: ERROR_SCHEMA,
            401: ERROR_SCHEMA,
            403: ERROR_SCHEMA,
        },
    )
    def get(self, request: Request) -> Response:
        serializer = _filters_from(request, self.OverTimeFilterSerializer)
        bucket = serializer.validated_data["bucket"]
        series = selectors.feedback_sentiment_over_time(filters=serializer.to_filters(), bucket=bucket)
        return Response({"bucket": bucket, "series": series})


class FeedbackPainPointsApi(APIView):
    """Topics ranked by negative items, each with up to three quotes (most negative first, then the most recent)
    and their links. Staff only."""

    permission_classes = [IsAdminUser]

    class PainPointsFilterSerializer(FilterSerializer):
        limit = serializers.IntegerField(min_value=1, max_value=len(Topic.values), default=5)

    @extend_schema(
        operation_id="feedback_pain_points",
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": len(Topic.values)},
                             description="Default 5."),
        ],
        responses={
            200: inline_serializer(
                "FeedbackPainPoints",
                fields={
                    "pain_points": inline_serializer(
                        "FeedbackPainPoint",
                        fields={
                            "topic": serializers.ChoiceField(choices=Topic.choices),
                            "negative": serializers.IntegerField(help_text="Negative items on this topic."),
                            "n": serializers.IntegerField(help_text="Scored items on this topic."),
                            "negative_share": serializers.FloatField(allow_null=True),
                            "mean_score": serializers.FloatField(allow_null=True),
                            "quotes": inline_serializer(
                                "FeedbackQuote",
                                fields={
                                    "id": serializers.IntegerField(),
                                    "text": serializers.CharField(),
                                    "score": serializers.FloatField(),
                                    "source": serializers.CharField(),
                                    "ring": serializers.CharField(allow_blank=True),
                                    "phase": serializers.CharField(allow_blank=True),
                                    "url": serializers.CharField(allow_blank=True),
                                    "created_at": serializers.DateTimeField(),
                                },
                                many=True,
                            ),
                        },
                        many=True,
                    ),
                },
            ),
            400: ERROR_SCHEMA,
            401: ERROR_SCHEMA,
            403: ERROR_SCHEMA,
        },
    )
    def get(self, request: Request) -> Response:
        serializer = _filters_from(request, self.PainPointsFilterSerializer)
        pain_points = selectors.feedback_pain_points(
            filters=serializer.to_filters(), limit=serializer.validated_data["limit"]
        )
        return Response({"pain_points": pain_points})

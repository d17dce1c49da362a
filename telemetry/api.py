"""HTTP API of the telemetry app: the shim's batch upload (the hot path) and the maintainers' metrics (read-only).

The batch view does not use DRF parsers or serializers: it checks the headers, reads at most the cap, inflates
gzip with the same cap, and hands the bytes to msgspec (telemetry.schema), which validates each event on its own.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from pitwall.errors import ApplicationError
from rollout.api import ERROR_SCHEMA
from rollout.authentication import IsInstallation, request_installation
from rollout.models import Installation, Ring
from telemetry import schema, selectors, services
from telemetry.schema import (
    COMMANDS,
    KINDS,
    MAX_EVENTS,
    MODES,
    OSES,
    PROFILES,
    SEMVER_PATTERN,
    SIZE_BUCKETS,
    TOOLCHAINS,
)
from telemetry.schema import Event as WireEvent

# --- OpenAPI schemas generated from the same types that validate and answer -------------------------------------


def _openapi(json_schema: Any, defs: dict[str, Any] | None = None) -> Any:
    """msgspec's JSON Schema as an inline OpenAPI 3.0 schema: $refs inlined, null unions made `nullable`."""
    if defs is None and isinstance(json_schema, dict):
        defs = json_schema.get("$defs", {})
    defs = defs or {}
    if isinstance(json_schema, list):
        return [_openapi(item, defs) for item in json_schema]
    if not isinstance(json_schema, dict):
        return json_schema
    if "$ref" in json_schema:
        return _openapi(defs[json_schema["$ref"].rsplit("/", 1)[-1]], defs)
    result = {k: _openapi(v, defs) for k, v in json_schema.items() if k not in ("$defs", "discriminator")}
    if isinstance(result.get("pattern"), str):
        result["pattern"] = result["pattern"].replace(r"\Z", "$")  # Python's end of string in ECMA
    if result.get("required") == []:
        del result["required"]  # OpenAPI 3.0 wants a non-empty list or none
    for union in ("anyOf", "oneOf"):
        options = result.get(union)
        if options and any(option.get("type") == "null" for option in options):
            rest = [option for option in options if option.get("type") != "null"]
            del result[union]
            if len(rest) == 1:
                result.update(rest[0])
            else:
                result[union] = rest
            result["nullable"] = True
    return result


class _BatchDoc(msgspec.Struct, forbid_unknown_fields=True):
    # What parse_batch takes: schema 1 (else 400 unsupported_schema), at most MAX_EVENTS events (else 413).
    schema: Literal[1]
    events: Annotated[list[WireEvent], msgspec.Meta(max_length=MAX_EVENTS)]


BATCH_REQUEST_SCHEMA = _openapi(msgspec.json.schema(_BatchDoc))
BATCH_RESPONSE_SCHEMA = {
    "type": "object",
    "required": ["accepted", "duplicates", "rejected"],
    "properties": {
        "accepted": {"type": "integer", "description": "Events stored now."},
        "duplicates": {"type": "integer", "description": "Events already stored (or twice in the batch)."},
        "rejected": {
            "type": "array",
            "description": "Events refused, with the reason per field; the others were kept.",
            "items": {
                "type": "object",
                "required": ["index", "event_id", "errors"],
                "properties": {
                    "index": {"type": "integer"},
                    "event_id": {"type": "string", "nullable": True},
                    "errors": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        },
    },
}


def _response_schema(result_type: type) -> Any:
    return _openapi(msgspec.json.schema(result_type))


# --- the batch upload -------------------------------------------------------------------------------------------


class InstallationBatchThrottle(SimpleRateThrottle):
    """Batches per installation (not per IP: many developers share an office NAT)."""

    scope = "telemetry_batch"

    def get_rate(self) -> str:
        return str(settings.TELEMETRY_BATCH_RATE)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, Installation):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


def _too_large(message: str, **details: str) -> ApplicationError:
    return ApplicationError(message, code="too_large", status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                            details=details)


def _inflate(raw: bytes, cap: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(raw, cap + 1)
    except zlib.error as exc:
        raise ApplicationError("The body is not valid gzip.", code="malformed_gzip") from exc
    if len(body) > cap:
        raise _too_large(f"The body inflates to more than {cap} bytes.", body=f"more than {cap} bytes inflated")
    if not inflater.eof or inflater.unused_data:
        raise ApplicationError("The gzip stream is truncated or has trailing data.", code="malformed_gzip")
    return body


def read_batch_body(request: HttpRequest) -> bytes:
    """The request body, inflated: 415 for a wrong media type, 413 when it inflates past the cap.

    Content-Length over TELEMETRY_MAX_BODY_BYTES (413) and any encoding but gzip (415) were refused before the view
    by pitwall.middleware, which reads `body_limit_setting` and `accepts_content_encodings` off the view class."""
    if request.content_type != "application/json":
        raise ApplicationError(
            "Send the batch as application/json.", code="unsupported_media_type",
            status_code=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            details={"content_type": request.content_type or ""},
        )
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    # At most the cap: Django reads no further than the Content-Length the middleware checked (not request.body,
    # which would apply DATA_UPLOAD_MAX_MEMORY_SIZE instead of the telemetry cap).
    raw = request.read()
    return _inflate(raw, int(settings.TELEMETRY_MAX_BODY_BYTES)) if encoding == "gzip" else raw


class TelemetryBatchApi(APIView):
    """Upload a batch of build and hot-reload timings (TELEMETRY.md v1). Idempotent by event_id.

    200 only once the batch is committed: `accepted` events are stored now, `duplicates` were already stored,
    `rejected` ones were refused with a reason per field (the rest of the batch is kept).
    """

    permission_classes = [IsInstallation]
    throttle_classes = [InstallationBatchThrottle]
    # Read by pitwall.middleware before the view runs; the inflated size is capped in read_batch_body.
    body_limit_setting = "TELEMETRY_MAX_BODY_BYTES"
    accepts_content_encodings = ("gzip",)

    @extend_schema(
        operation_id="telemetry_batch",
        request={"application/json": BATCH_REQUEST_SCHEMA},
        # Not a header parameter: gzip is how the body is sent, which OpenAPI cannot describe, and a client told to
        # send the header with the JSON as shown would get 400 malformed_gzip.
        description=(
            "The body may be sent gzip-compressed, with `Content-Encoding: gzip`; the inflated body is capped too "
            "(413)."
        ),
        responses={
            200: BATCH_RESPONSE_SCHEMA,
            400: ERROR_SCHEMA,
            401: ERROR_SCHEMA,
            403: ERROR_SCHEMA,
            413: ERROR_SCHEMA,
            415: ERROR_SCHEMA,
            429: ERROR_SCHEMA,
        },
    )
    def post(self, request: Request) -> Response:
        installation = request_installation(request)
        services.telemetry_consent_check(installation=installation)
        body = read_batch_body(request._request)
        received_at = timezone.now()
        try:
            parsed = schema.parse_batch(
                body, received_at=received_at,
                max_age=timedelta(days=settings.TELEMETRY_MAX_EVENT_AGE_DAYS),
            )
        except schema.BatchError as exc:
            raise ApplicationError(
                exc.message, code=exc.code, details=exc.details,
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE if exc.too_large else 400,
            ) from exc
        result = services.build_events_ingest(installation=installation, events=parsed.events,
                                              received_at=received_at)
        return Response({
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": [rejection.as_dict() for rejection in parsed.rejected],
        })


# --- metrics (staff only, read-only) ----------------------------------------------------------------------------


# Rules across parameters, which OpenAPI 3.0 cannot state: the parameters' descriptions say them, and a query that
# breaks one is refused (400) with one of these messages.
START_WITH_DAYS = "Give either start or days, not both."
START_AFTER_END = "The window starts after it ends."
WINDOW_TOO_LONG = "The window is longer than ten years."
WINDOW_RULES = (START_WITH_DAYS, START_AFTER_END, WINDOW_TOO_LONG)
MAX_WINDOW_DAYS = 3660
# schema.SEMVER_PATTERN as the document shows it: the field trims whitespace first, so $ and \Z agree here.
VERSION_PATTERN = SEMVER_PATTERN.replace(r"\Z", "$")


class MetricsQuery(serializers.Serializer[Any]):
    start = serializers.DateField(
        required=False,
        help_text="First day (UTC), inclusive; not with `days`, not after `end`, at most 3660 days before it.",
    )
    end = serializers.DateField(required=False, help_text="Last day (UTC), inclusive; default today.")
    days = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_WINDOW_DAYS,
        help_text="Window length ending at `end` (default TELEMETRY_DEFAULT_WINDOW_DAYS); not with `start`.",
    )
    ring = serializers.ChoiceField(choices=Ring.values, required=False)
    mode = serializers.ChoiceField(choices=MODES, required=False)
    # As events name it (schema.Variant), or empty.
    variant = serializers.RegexField(r"^[^\x00-\x1f\x7f]*$", required=False, allow_blank=True, max_length=64,
                                     help_text="Settings variant; empty = events without a variant.")
    size_bucket = serializers.ChoiceField(choices=SIZE_BUCKETS, required=False)
    command = serializers.ChoiceField(choices=COMMANDS, required=False)
    kind = serializers.ChoiceField(choices=KINDS, required=False)
    os = serializers.ChoiceField(choices=OSES, required=False)
    toolchain = serializers.ChoiceField(choices=TOOLCHAINS, required=False)
    profile = serializers.ChoiceField(choices=PROFILES, required=False)
    # Versions as events carry them (semver): anything else could never match, and says so in the document.
    cargo_leptos_version = serializers.RegexField(VERSION_PATTERN, required=False, max_length=64)
    leptos_version = serializers.RegexField(VERSION_PATTERN, required=False, max_length=64)
    rustc_version = serializers.RegexField(VERSION_PATTERN, required=False, max_length=64)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.pop("end", None) or timezone.now().date()
        days = attrs.pop("days", None)
        start = attrs.pop("start", None)
        if start is None:
            # A window reaching back past 0001-01-01 starts there (timedelta arithmetic would overflow).
            back = (days or settings.TELEMETRY_DEFAULT_WINDOW_DAYS) - 1
            start = end - timedelta(days=back) if (end - date.min).days >= back else date.min
        elif days is not None:
            raise serializers.ValidationError({"days": START_WITH_DAYS})
        if start > end:
            raise serializers.ValidationError({"start": START_AFTER_END})
        if (end - start).days > MAX_WINDOW_DAYS:
            raise serializers.ValidationError({"start": WINDOW_TOO_LONG})
        return {"start": start, "end": end, **attrs}

    def to_filter(self) -> selectors.MetricsFilter:
        return selectors.MetricsFilter(**self.validated_data)


class TrendQuery(MetricsQuery):
    period = serializers.ChoiceField(choices=["day", "week"], default="day")


_View = TypeVar("_View", bound=Callable[..., Any])


def _metrics_schema(operation_id: str, result_type: type, query: type[serializers.Serializer[Any]] = MetricsQuery,
                    description: str = "") -> Callable[[_View], _View]:
    return extend_schema(
        operation_id=operation_id,
        parameters=[query],
        description=description,
        responses={200: _response_schema(result_type), 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 403: ERROR_SCHEMA},
    )


class _MetricsApi(APIView):
    permission_classes = [IsAdminUser]

    def _filter(self, request: Request, query: type[MetricsQuery] = MetricsQuery) -> tuple[Any, dict[str, Any]]:
        serializer = query(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        extra = {k: serializer.validated_data.pop(k) for k in ("period",) if k in serializer.validated_data}
        return serializer.to_filter(), extra

    @staticmethod
    def _render(result: Any) -> Response:
        return Response(dataclasses.asdict(result))


class MetricsBuildTimesApi(_MetricsApi):
    @_metrics_schema("metrics_build_times", selectors.BuildTimes,
                     description="p50 / p90 / p95 of successful build and rebuild times, per kind and mode.")
    def get(self, request: Request) -> Response:
        metrics_filter, _ = self._filter(request)
        return self._render(selectors.build_times(metrics_filter))


class MetricsImprovementApi(_MetricsApi):
    @_metrics_schema("metrics_improvement", selectors.Improvement,
                     description="Fast vs normal mode (kind default: rebuild): 1 - fast/normal at p50 and p90, "
                                 "with 95 % intervals.")
    def get(self, request: Request) -> Response:
        metrics_filter, _ = self._filter(request)
        return self._render(selectors.improvement(metrics_filter))


class MetricsHotReloadApi(_MetricsApi):
    @_metrics_schema("metrics_hot_reload", selectors.HotReload,
                     description="Hot-reload success rate (Wilson interval), interruptions, time to patch and "
                                 "to reload, per mode.")
    def get(self, request: Request) -> Response:
        metrics_filter, _ = self._filter(request)
        return self._render(selectors.hot_reload(metrics_filter))


class MetricsFailuresApi(_MetricsApi):
    @_metrics_schema("metrics_failures", selectors.Failures,
                     description="Failure and interruption rates (Wilson intervals) per kind and mode.")
    def get(self, request: Request) -> Response:
        metrics_filter, _ = self._filter(request)
        return self._render(selectors.failures(metrics_filter))


class MetricsTrendApi(_MetricsApi):
    @_metrics_schema("metrics_trend", selectors.Trend, query=TrendQuery,
                     description="Daily or weekly percentiles and failure rate of one kind (default rebuild).")
    def get(self, request: Request) -> Response:
        metrics_filter, extra = self._filter(request, TrendQuery)
        return self._render(selectors.trend(metrics_filter, period=extra.get("period", "day")))


class MetricsPhasesApi(_MetricsApi):
    @_metrics_schema("metrics_phases", selectors.PhaseBreakdown,
                     description="Where build time goes: share and mean per phase, per mode.")
    def get(self, request: Request) -> Response:
        metrics_filter, _ = self._filter(request)
        return self._render(selectors.phase_breakdown(metrics_filter))


class MetricsRegressionsApi(_MetricsApi):
    @_metrics_schema("metrics_regressions", selectors.Regressions,
                     description="Each cargo-leptos, leptos and rustc version against the previous one.")
    def get(self, request: Request) -> Response:
        metrics_filter, _ = self._filter(request)
        return self._render(selectors.regressions(metrics_filter))


class MetricsRecommendationsApi(_MetricsApi):
    @_metrics_schema("metrics_recommendations", selectors.Recommendations,
                     description="Rule-based recommendations drawn from the data, and each rule's status.")
    def get(self, request: Request) -> Response:
        metrics_filter, _ = self._filter(request)
        return self._render(selectors.recommendations(metrics_filter))

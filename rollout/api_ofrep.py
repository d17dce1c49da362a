"""OFREP endpoints (OpenFeature Remote Evaluation Protocol) answered from the in-process flag snapshot."""

import json
from collections.abc import Iterable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rollout import ofrep
from rollout.authentication import InstallationTokenAuthentication, IsInstallation, request_installation
from rollout.flags import current_snapshot

MAX_BODY_BYTES = 64 * 1024


class JsonOnly(BaseContentNegotiation):
    """OFREP speaks JSON only: skip DRF's Accept-header negotiation on the hottest endpoint."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> Any:
        return None

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class OfrepApiView(APIView):
    """Bearer-token only, JSON only, no throttles: the hot path carries nothing it does not use."""

    authentication_classes = [InstallationTokenAuthentication]
    permission_classes = [IsInstallation]
    parser_classes: list[Any] = []
    renderer_classes = [JSONRenderer]
    throttle_classes: list[Any] = []
    content_negotiation_class = JsonOnly


def _parse_context(request: Request) -> tuple[dict[str, Any] | None, str | None, str]:
    """The merged evaluation context, or (None, error code, details)."""
    raw = request.body
    if len(raw) > MAX_BODY_BYTES:
        return None, "PARSE_ERROR", "request body is too large"
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None, "PARSE_ERROR", "request body is not valid JSON"
    if not isinstance(body, dict):
        return None, "INVALID_CONTEXT", "request body must be an object with a context"
    installation = request_installation(request)
    try:
        context = ofrep.evaluation_context(
            installation_id=str(installation.id),
            ring=installation.ring,
            client_context=body.get("context", {}),
            remote_address=request.META.get("REMOTE_ADDR"),
        )
    except ofrep.InvalidContext as exc:
        return None, "INVALID_CONTEXT", str(exc)
    return context, None, ""


class OfrepEvaluateFlagApi(OfrepApiView):
    @extend_schema(
        operation_id="ofrep_evaluate_flag",
        tags=["OFREP"],
        request=OpenApiTypes.OBJECT,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="serverEvaluationSuccess"),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="evaluationFailure"),
            401: OpenApiResponse(OpenApiTypes.OBJECT),
            404: OpenApiResponse(OpenApiTypes.OBJECT, description="flagNotFound"),
        },
    )
    def post(self, request: Request, key: str) -> Response:
        context, error_code, details = _parse_context(request)
        if context is None:
            return Response({"key": key, "errorCode": error_code, "errorDetails": details}, status=400)
        body = ofrep.evaluate_one(current_snapshot().engine, key, context)
        if body is None:
            return Response(ofrep.not_found_body(key), status=status.HTTP_404_NOT_FOUND)
        return Response(body)


class OfrepEvaluateFlagsApi(OfrepApiView):
    @extend_schema(
        operation_id="ofrep_evaluate_flags_bulk",
        tags=["OFREP"],
        request=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="bulkEvaluationSuccess, with an ETag"),
            304: OpenApiResponse(description="Not modified"),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="bulkEvaluationFailure"),
            401: OpenApiResponse(OpenApiTypes.OBJECT),
        },
    )
    def post(self, request: Request) -> Response:
        context, error_code, details = _parse_context(request)
        if context is None:
            return Response({"errorCode": error_code, "errorDetails": details}, status=400)
        body = ofrep.evaluate_all(current_snapshot().engine, context)
        etag = ofrep.etag_for(body)
        if ofrep.etag_matches(request.headers.get("If-None-Match"), etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(body, headers={"ETag": etag})

"""Staff-only JSON API of the reports app: gate, promotion, reports. Thin views over services and selectors."""

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pitwall.api_input import JsonInput
from reports import selectors, services
from reports.models import Recommendation, ReportTrigger, RolloutReport
from rollout.api import ERROR_SCHEMA
from rollout.models import Feature

# Every operation here is staff only: 401 without credentials, 403 for an installation or a non-staff user.
REFUSALS = {401: ERROR_SCHEMA, 403: ERROR_SCHEMA}


class ReportSummaryOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    feature = serializers.CharField()
    phase = serializers.CharField(allow_null=True)
    recommendation = serializers.ChoiceField(choices=Recommendation.choices)
    trigger = serializers.ChoiceField(choices=ReportTrigger.choices)
    created_by = serializers.CharField()
    created_at = serializers.DateTimeField()
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()


class ReportCreatedOutput(ReportSummaryOutput):
    markdown = serializers.CharField()


class ReportDetailOutput(ReportCreatedOutput):
    data = serializers.JSONField(  # type: ignore[assignment]
        help_text="The report's figures, as its Markdown and HTML show them."
    )


class GateCriterionOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    status = serializers.ChoiceField(choices=["pass", "fail", "inconclusive"])
    detail = serializers.CharField()
    measured = serializers.FloatField(allow_null=True)
    threshold = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField()
    guard = serializers.BooleanField()


class GateResultOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    phase = serializers.CharField()
    passed = serializers.BooleanField()
    recommendation = serializers.ChoiceField(choices=Recommendation.choices)
    reasons = serializers.ListField(child=serializers.CharField())
    criteria = GateCriterionOutput(many=True)


def _feature(key: str) -> Feature:
    return get_object_or_404(Feature.objects.select_related("current_phase"), key=key)


def _report_summary(report: RolloutReport) -> dict[str, Any]:
    return {
        "id": report.pk,
        "feature": report.feature.key,
        "phase": report.phase.key if report.phase else None,
        "recommendation": report.recommendation,
        "trigger": report.trigger,
        "created_by": report.created_by,
        "created_at": report.created_at.isoformat(),
        "window_start": report.window_start.isoformat(),
        "window_end": report.window_end.isoformat(),
    }


class GateEvaluateApi(APIView):
    """Evaluate the feature's current gate now (recorded) and return every criterion with its numbers."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        operation_id="gate_evaluate",
        request=None,
        responses={200: GateResultOutput, 400: ERROR_SCHEMA, 404: ERROR_SCHEMA, **REFUSALS},
    )
    def post(self, request: Request, key: str) -> Response:
        evaluation = services.gate_evaluate(feature=_feature(key))
        return Response({"id": evaluation.pk, "phase": evaluation.phase.key, **evaluation.result})


class FeaturePromoteApi(APIView):
    """Move the feature to its next phase; refused (409) unless the gate recommends it or `override_gate`."""

    permission_classes = [IsAdminUser]

    class FeaturePromoteInput(JsonInput):
        reason = serializers.CharField(max_length=2000)
        override_gate = serializers.BooleanField(default=False)

    @extend_schema(
        operation_id="feature_promote",
        request=FeaturePromoteInput,
        responses={
            200: inline_serializer(
                "Promoted",
                fields={"phase": serializers.CharField(), "transition_id": serializers.IntegerField()},
            ),
            400: ERROR_SCHEMA,
            404: ERROR_SCHEMA,
            409: ERROR_SCHEMA,
            **REFUSALS,
        },
    )
    def post(self, request: Request, key: str) -> Response:
        serializer = self.FeaturePromoteInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        transition = services.feature_promote(
            feature=_feature(key),
            actor=request.user,
            reason=serializer.validated_data["reason"],
            override_gate=serializer.validated_data["override_gate"],
        )
        return Response({"phase": transition.to_phase.key, "transition_id": transition.pk})


class ReportListApi(APIView):
    """Reports of a feature, newest first (GET); make one now (POST)."""

    permission_classes = [IsAdminUser]

    @extend_schema(
        operation_id="report_list",
        responses={
            200: inline_serializer("ReportList", fields={"reports": ReportSummaryOutput(many=True)}),
            404: ERROR_SCHEMA,
            **REFUSALS,
        },
    )
    def get(self, request: Request, key: str) -> Response:
        reports = selectors.reports_of(feature=_feature(key))[:100]
        return Response({"reports": [_report_summary(r) for r in reports]})

    @extend_schema(
        operation_id="report_create",
        request=None,
        responses={201: ReportCreatedOutput, 400: ERROR_SCHEMA, 404: ERROR_SCHEMA, **REFUSALS},
    )
    def post(self, request: Request, key: str) -> Response:
        report = services.report_create(
            feature=_feature(key), trigger=ReportTrigger.ON_DEMAND, actor=request.user
        )
        return Response(
            {**_report_summary(report), "markdown": report.markdown}, status=status.HTTP_201_CREATED
        )


class ReportDetailApi(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        operation_id="report_detail",
        responses={200: ReportDetailOutput, 404: ERROR_SCHEMA, **REFUSALS},
    )
    def get(self, request: Request, report_id: int) -> Response:
        report = get_object_or_404(RolloutReport.objects.select_related("feature", "phase"), pk=report_id)
        return Response({**_report_summary(report), "data": report.data, "markdown": report.markdown})

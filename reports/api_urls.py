from django.urls import path

from reports import api

urlpatterns = [
    path("api/v1/features/<slug:key>/gate", api.GateEvaluateApi.as_view(), name="gate-evaluate"),
    path("api/v1/features/<slug:key>/promote", api.FeaturePromoteApi.as_view(), name="feature-promote"),
    path("api/v1/features/<slug:key>/reports", api.ReportListApi.as_view(), name="report-list"),
    path("api/v1/reports/<int:report_id>", api.ReportDetailApi.as_view(), name="report-detail"),
]

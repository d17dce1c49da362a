from django.urls import URLPattern, URLResolver, path

from telemetry import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/telemetry/batch", api.TelemetryBatchApi.as_view(), name="telemetry-batch"),
    path("api/v1/metrics/build-times", api.MetricsBuildTimesApi.as_view(), name="metrics-build-times"),
    path("api/v1/metrics/improvement", api.MetricsImprovementApi.as_view(), name="metrics-improvement"),
    path("api/v1/metrics/hot-reload", api.MetricsHotReloadApi.as_view(), name="metrics-hot-reload"),
    path("api/v1/metrics/failures", api.MetricsFailuresApi.as_view(), name="metrics-failures"),
    path("api/v1/metrics/trend", api.MetricsTrendApi.as_view(), name="metrics-trend"),
    path("api/v1/metrics/phases", api.MetricsPhasesApi.as_view(), name="metrics-phases"),
    path("api/v1/metrics/regressions", api.MetricsRegressionsApi.as_view(), name="metrics-regressions"),
    path("api/v1/metrics/recommendations", api.MetricsRecommendationsApi.as_view(), name="metrics-recommendations"),
]

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from pitwall import views as pitwall_views
from rollout import views as rollout_views

handler404 = pitwall_views.not_found

urlpatterns = [
    path("", rollout_views.home, name="home"),
    path("healthz", pitwall_views.healthz, name="healthz"),
    path("docs/<slug:name>/", pitwall_views.docs_page, name="docs-page"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("rollout.urls")),
    path("", include("telemetry.urls")),
    path("", include("feedback.urls")),
    path("", include("reports.api_urls")),
    path("", include("reports.urls")),
    path("", include("bots.urls")),
]

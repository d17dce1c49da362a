from django.urls import path

from rollout import api, api_ofrep

urlpatterns = [
    path("api/v1/installations", api.InstallationRegisterApi.as_view(), name="installation-register"),
    path("api/v1/installations/me", api.InstallationMeApi.as_view(), name="installation-me"),
    path("api/v1/installations/me/link", api.InstallationLinkApi.as_view(), name="installation-link"),
    path("api/v1/enrollments", api.EnrollmentCreateApi.as_view(), name="enrollment-create"),
    path("ofrep/v1/evaluate/flags", api_ofrep.OfrepEvaluateFlagsApi.as_view(), name="ofrep-evaluate-flags"),
    path(
        "ofrep/v1/evaluate/flags/<str:key>",
        api_ofrep.OfrepEvaluateFlagApi.as_view(),
        name="ofrep-evaluate-flag",
    ),
]

"""drf-spectacular: how the installation bearer token appears in the OpenAPI document."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class InstallationTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "rollout.authentication.InstallationTokenAuthentication"
    name = "InstallationToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The installation token returned once by POST /api/v1/installations.",
        }

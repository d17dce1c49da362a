"""HTTP API for the shim and the enrollment page: thin views over the rollout services and selectors."""

import re
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from pitwall.api_input import JsonInput
from pitwall.errors import ApplicationError
from rollout import services
from rollout.authentication import IsInstallation, request_installation
from rollout.codes import API_PATTERN
from rollout.models import EnrollmentRing, EnrollmentSource, Installation

ERROR_SCHEMA = inline_serializer(
    "Error",
    fields={
        "error": inline_serializer(
            "ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "details": serializers.DictField(),
            },
        )
    },
)

# Installation-only operations: 401 without a token (or with a bad one), 403 for a signed-in user without one.
INSTALLATION_REFUSALS = {401: ERROR_SCHEMA, 403: ERROR_SCHEMA}


def _installation_body(installation: Installation) -> dict[str, Any]:
    return {
        "installation_id": str(installation.id),
        "ring": installation.ring,
        "telemetry_consent": installation.telemetry_consent,
        "consent_version": installation.consent_version or None,
        "consent_at": installation.consent_at.isoformat() if installation.consent_at else None,
        "first_seen": installation.first_seen.isoformat(),
        "last_seen": installation.last_seen.isoformat(),
    }


class InstallationOutput(serializers.Serializer[Any]):
    installation_id = serializers.UUIDField()
    ring = serializers.ChoiceField(choices=["beta", "preview", "general"])
    telemetry_consent = serializers.BooleanField()
    consent_version = serializers.CharField(allow_null=True)
    consent_at = serializers.DateTimeField(allow_null=True)
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()


@extend_schema_field({"type": "string", "pattern": API_PATTERN, "example": "ABCD-EFGH"})
class EnrollmentCodeField(serializers.CharField):
    """Checked in the view, so a malformed code gets the service's own error code (enrollment_code_invalid)."""


@extend_schema_field({"type": "boolean", "enum": [True], "description": "Consent to the terms shown: true."})
class ConsentField(serializers.BooleanField):
    """Only true is taken (validate_consent says why otherwise), and the document says so."""


class InstallationRegisterApi(APIView):
    """Register a new anonymous installation. The token is shown once; keep it secret."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "installation_register"

    class InstallationRegisterInput(JsonInput):
        class PlatformSerializer(JsonInput):
            os = serializers.ChoiceField(choices=["linux", "macos", "windows", "other"], required=False)
            arch = serializers.RegexField(r"^[A-Za-z0-9_]{1,20}$", required=False)
            shim_version = serializers.RegexField(r"^[0-9A-Za-z.+-]{1,40}$", required=False)

        platform = PlatformSerializer(required=False)

    @extend_schema(
        operation_id="installation_register",
        request=InstallationRegisterInput,
        responses={
            201: inline_serializer(
                "InstallationRegistered",
                fields={"installation_id": serializers.UUIDField(), "token": serializers.CharField()},
            ),
            400: ERROR_SCHEMA,
            429: ERROR_SCHEMA,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InstallationRegisterInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        platform = serializer.validated_data.get("platform", {})
        installation, token = services.installation_register(
            os=platform.get("os", ""),
            arch=platform.get("arch", ""),
            shim_version=platform.get("shim_version", ""),
        )
        return Response(
            {"installation_id": str(installation.id), "token": token}, status=status.HTTP_201_CREATED
        )


class InstallationMeApi(APIView):
    """The calling installation: read it, set telemetry consent, or opt out (delete it and all its data)."""

    permission_classes = [IsInstallation]

    class ConsentInput(JsonInput):
        telemetry_consent = serializers.BooleanField()
        consent_version = serializers.RegexField(r"^[0-9A-Za-z.-]{1,20}$", required=False)

    @extend_schema(
        operation_id="installation_me_read", responses={200: InstallationOutput, **INSTALLATION_REFUSALS}
    )
    def get(self, request: Request) -> Response:
        return Response(_installation_body(request_installation(request)))

    @extend_schema(
        operation_id="installation_me_consent",
        request=ConsentInput,
        responses={200: InstallationOutput, 400: ERROR_SCHEMA, **INSTALLATION_REFUSALS},
    )
    def patch(self, request: Request) -> Response:
        serializer = self.ConsentInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        installation = services.installation_set_consent(
            installation=request_installation(request),
            telemetry_consent=serializer.validated_data["telemetry_consent"],
            consent_version=serializer.validated_data.get(
                "consent_version", settings.PITWALL_CONSENT_VERSION
            ),
        )
        return Response(_installation_body(installation))

    @extend_schema(
        operation_id="installation_me_delete",
        responses={204: OpenApiResponse(description="Deleted, with all its data."), **INSTALLATION_REFUSALS},
    )
    def delete(self, request: Request) -> Response:
        services.installation_delete(installation=request_installation(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class InstallationLinkApi(APIView):
    """Link the calling installation to an enrollment made on the web or on Discord, with its code."""

    permission_classes = [IsInstallation]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "installation_link"

    class InstallationLinkInput(JsonInput):
        code = EnrollmentCodeField()

    @extend_schema(
        operation_id="installation_link",
        request=InstallationLinkInput,
        responses={
            200: inline_serializer(
                "InstallationLinked",
                fields={"ring": serializers.CharField(), "enrollment_id": serializers.IntegerField()},
            ),
            400: ERROR_SCHEMA,
            **INSTALLATION_REFUSALS,
            429: ERROR_SCHEMA,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InstallationLinkInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not re.fullmatch(API_PATTERN, serializer.validated_data["code"]):
            raise ApplicationError("That is not an enrollment code.", code="enrollment_code_invalid")
        enrollment = services.installation_link(
            installation=request_installation(request), code=serializer.validated_data["code"]
        )
        return Response({"ring": enrollment.ring, "enrollment_id": enrollment.pk})


class EnrollmentCreateApi(APIView):
    """Join the beta (or preview) from the web: returns a code to paste into `leptos-fast enroll`."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "enrollment_create"

    class EnrollmentCreateInput(JsonInput):
        handle = serializers.RegexField(r"^[\w .@-]{1,80}$")
        ring = serializers.ChoiceField(choices=EnrollmentRing.choices, default=EnrollmentRing.BETA)
        consent = ConsentField()

        def validate_consent(self, value: bool) -> bool:
            if not value:
                raise serializers.ValidationError("Enrollment needs your consent to the terms shown.")
            return value

    @extend_schema(
        operation_id="enrollment_create",
        request=EnrollmentCreateInput,
        responses={
            201: inline_serializer(
                "EnrollmentCreated",
                fields={
                    "code": serializers.CharField(),
                    "ring": serializers.CharField(),
                    "expires_at": serializers.DateTimeField(),
                    "shim_command": serializers.CharField(),
                },
            ),
            400: ERROR_SCHEMA,
            429: ERROR_SCHEMA,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.EnrollmentCreateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        participant = services.participant_upsert(handle=data["handle"].strip())
        _, code = services.enrollment_create(
            participant=participant,
            ring=data["ring"],
            source=EnrollmentSource.WEB,
            consent_text_version=settings.PITWALL_CONSENT_VERSION,
            actor="web",
        )
        assert code is not None
        shown = code.display
        return Response(
            {
                "code": shown,
                "ring": data["ring"],
                "expires_at": code.expires_at.isoformat(),
                "shim_command": f"leptos-fast enroll {shown}",
            },
            status=status.HTTP_201_CREATED,
        )

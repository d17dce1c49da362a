"""Bearer-token authentication for installations (the shim). The token itself is never logged or stored."""

from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from rollout import selectors, services
from rollout.models import Installation


class InstallationTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, Installation] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        installation = selectors.installation_by_token(token)
        if installation is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        services.installation_touch(installation=installation)
        return AnonymousUser(), installation

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class IsInstallation(permissions.BasePermission):
    message = "An installation token is required (Authorization: Bearer <token>)."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, Installation)


def request_installation(request: Request) -> Installation:
    assert isinstance(request.auth, Installation)
    return request.auth

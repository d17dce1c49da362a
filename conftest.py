"""Test-wide setup and fixtures shared by every app's tests.

Django modules are imported inside the fixtures: this file is read before pytest-django configures Django.
"""

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _fresh_flag_snapshot() -> Iterator[None]:
    """Each test starts with an empty cache and no in-process flag snapshot."""
    from django.core.cache import cache

    from rollout import flags

    cache.clear()
    flags.reset_for_tests()
    yield
    cache.clear()
    flags.reset_for_tests()


@pytest.fixture
def api() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def fast_mode(db: Any) -> Any:
    from rollout.bootstrap import bootstrap_fast_mode

    feature, _ = bootstrap_fast_mode()
    return feature


@pytest.fixture
def make_installation(db: Any) -> Any:
    from rollout import services

    def make(**platform: str) -> Any:
        return services.installation_register(**platform)

    return make


@pytest.fixture
def installation_client(make_installation: Any) -> Any:
    """(client authenticated as a fresh installation, that installation)."""
    from rest_framework.test import APIClient

    installation, token = make_installation(os="linux", arch="x86_64", shim_version="0.1.0")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client, installation


@pytest.fixture
def staff_client(db: Any) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.create_user(
        "maintainer", "m@example.com", "pw-not-used", is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(user)
    client.user = user  # type: ignore[attr-defined]
    return client

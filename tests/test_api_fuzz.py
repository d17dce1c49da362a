"""API fuzzing: schemathesis drives every operation of our own OpenAPI document, in process, through WSGI.

Each generated case (the schema's examples, schemathesis's coverage scenarios, then positive and negative fuzzing)
is sent as three roles: anonymous, an installation (Bearer token) and staff (session cookie plus CSRF token, as
the dashboard sends them); a role the operation keeps refusing gets a sample of the cases (see _sends_as). Every
response must be below 500, with a documented status code, content type and headers, and a body that matches the
document; schema-valid input must be taken and schema-invalid input refused, and an operation that needs
credentials must refuse the request without them (schemathesis's default checks, none left out).
The run is derandomized: CI sends the same cases every time. The counts are measured, not assumed.
"""

from __future__ import annotations

import collections
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from schemathesis.config import SchemathesisConfig

from rollout.codes import API_PATTERN
from telemetry.api import WINDOW_RULES

ROLES = ("anonymous", "installation", "staff")
REFUSALS_IN_FULL = 5
REFUSED_SAMPLE = 10
# Answers a refused role gets too, before authentication (no route for a malformed id, a method the operation
# lacks, a body too large or encoded): no sign that it got in.
BEFORE_AUTHENTICATION = (404, 405, 413, 415)
MIN_CASES = 1000
CSRF_TOKEN = "fuzz" * 8  # any 32 letters: Django compares the cookie with the header

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20261127,
        "generation": {
            "mode": "all",  # positive and negative
            "max-examples": 15,  # fuzzing phase, per operation; the coverage phase adds its own cases
            "deterministic": True,
            "database": "none",
            # Credentials come from the roles, never from generated values.
            "with-security-parameters": False,
        },
        # Schemathesis's list plus 413: how the telemetry batch refuses more events than it takes (documented).
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428",
                                      "429", "5xx"]
            }
        },
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(), config=CONFIG)

# An operation the document gets wrong would be an Err here: .ok() raises then, and collection fails loudly.
OPERATIONS = sorted(result.ok().label for result in schema.get_all_operations())  # type: ignore[union-attr]


@dataclass
class World:
    """What the endpoints find in the database, and the credentials of each role."""

    installation_token: str
    session_cookie: str
    feature_key: str
    feedback_item_id: int
    report_id: int


# The world of the running test, for the path-parameter hook below (hooks get no fixtures).
current: dict[str, World] = {}


@dataclass
class Tally:
    """What the fuzzing did, measured: checked by the last test of this module."""

    cases: int = 0
    requests: int = 0
    per_operation: collections.Counter[str] = field(default_factory=collections.Counter)
    refused: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    reached: collections.defaultdict[tuple[str, str], bool] = field(
        default_factory=lambda: collections.defaultdict(bool)
    )
    # (operation, role, status) -> responses
    statuses: collections.Counter[tuple[str, str, int]] = field(default_factory=collections.Counter)
    phases: collections.Counter[str] = field(default_factory=collections.Counter)
    started: float = field(default_factory=time.monotonic)


tally = Tally()


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Half the valid ids and keys become ones that exist, so the endpoints do real work, not just 404.

    Only values the document accepts are swapped (valid for valid): a negative case keeps its invalid part.
    """
    world = current.get("world")
    if world is None or not path_parameters:
        return st.just(path_parameters)
    real = dict(path_parameters)
    for name, value in path_parameters.items():
        if name == "key" and isinstance(value, str) and re.fullmatch(r"[-a-zA-Z0-9_]+", value):
            real[name] = world.feature_key
        elif name in ("item_id", "report_id") and isinstance(value, int) and not isinstance(value, bool):
            real[name] = world.feedback_item_id if name == "item_id" else world.report_id
    return st.sampled_from([path_parameters, real])


# Refusals of input the document calls valid, each for a reason OpenAPI 3.0 cannot state; only these are exempt
# from "schema-valid input is accepted" (ST202), on these operations, with these error codes or messages:
# - an enrollment code is a one-time secret: a well-formed code that is unknown, used or expired is refused like a
#   wrong password (400, with the code the shim shows). Schemathesis cannot draw live codes.
# - the metrics window: `start` with `days`, `start` after `end` and windows over ten years are rules across
#   parameters; the parameters' descriptions state them.
LINK = "POST /api/v1/installations/me/link"
LINK_REFUSALS = {"enrollment_code_invalid", "enrollment_code_used", "enrollment_code_expired"}


def _refused_for_a_documented_reason(case: Any, error: dict[str, Any]) -> bool:
    if case.operation.label == LINK:
        code = case.body.get("code") if isinstance(case.body, dict) else None
        return isinstance(code, str) and bool(re.fullmatch(API_PATTERN, code)) and error["code"] in LINK_REFUSALS
    if case.operation.label.startswith("GET /api/v1/metrics/"):
        messages = [message for messages in error["details"].values() for message in messages]
        return error["code"] == "invalid" and bool(messages) and set(messages) <= set(WINDOW_RULES)
    return False


BATCH = "POST /api/v1/telemetry/batch"
BATCH_SCHEMA = schema.raw_schema["paths"]["/api/v1/telemetry/batch"]["post"]["requestBody"]["content"][
    "application/json"
]["schema"]


def _refused_event_by_event(case: Any, response: Any) -> bool:
    """The batch takes what it can (documented): an event the document forbids is refused on its own, listed in
    `rejected`, and the rest of the batch is still kept (200). Schema-invalid input accepted (ST201) is exempt
    only when the envelope is valid and every invalid event is among the rejected ones."""
    body = case.body if isinstance(case.body, dict) else {}
    events = body.get("events")
    if case.operation.label != BATCH or response.status_code != 200 or not isinstance(events, list):
        return False
    envelope = OAS30Validator(BATCH_SCHEMA, format_checker=oas30_format_checker)
    event = OAS30Validator(BATCH_SCHEMA["properties"]["events"]["items"], format_checker=oas30_format_checker)
    invalid = {index for index, item in enumerate(events) if not event.is_valid(item)}
    rejected = {rejection["index"] for rejection in json.loads(response.content)["rejected"]}
    return envelope.is_valid({**body, "events": []}) and bool(invalid) and invalid <= rejected


@schema.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    if failure.code == "ST201":
        return not _refused_event_by_event(case, response)
    if failure.code != "ST202" or response.status_code != 400:
        return True
    return not _refused_for_a_documented_reason(case, json.loads(response.content)["error"])


# The eight metrics endpoints read their query through one serializer (telemetry.api.MetricsQuery): its negative
# coverage scenarios (each parameter of the wrong type, out of range, ...) go to one of them. The others keep their
# positive coverage, which reaches their own selectors, and fuzzing of both kinds.
METRICS_QUERY_PROBE = "GET /api/v1/metrics/build-times"


@schema.hook
def filter_case(context: Any, case: Any) -> bool:
    meta = case.meta
    return not (
        case.operation.label.startswith("GET /api/v1/metrics/")
        and case.operation.label != METRICS_QUERY_PROBE
        and meta is not None
        and meta.phase.name.value == "coverage"
        and meta.generation.mode.is_negative
    )


@pytest.fixture
def wsgi_database_connection() -> Iterator[None]:
    """Django's WSGI handler closes the connection around each request; inside the test's transaction that would
    throw the test data away. Django's own test client unhooks the same signal handler."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def rates_out_of_reach(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fuzzer is one client sending thousands of requests a minute: at the real rates most cases would only
    meet the throttle (429, documented). The throttles still run, at rates it cannot reach; each one's 429 (with
    Retry-After) is tested by its own app."""
    from rest_framework.throttling import ScopedRateThrottle

    unreachable = "1000000/min"
    monkeypatch.setattr(
        ScopedRateThrottle, "THROTTLE_RATES", dict.fromkeys(ScopedRateThrottle.THROTTLE_RATES, unreachable)
    )
    settings.TELEMETRY_BATCH_RATE = unreachable
    settings.PITWALL_FEEDBACK_SHIM_RATE = unreachable


@pytest.fixture
def world(
    fast_mode: Any, make_installation: Any, wsgi_database_connection: None, rates_out_of_reach: None
) -> Iterator[World]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from feedback import services as feedback_services
    from reports import services as report_services
    from reports.models import ReportTrigger
    from rollout import services as rollout_services
    from telemetry import schema as wire
    from telemetry import services as telemetry_services
    from telemetry.tests.factories import wire_event

    installation, token = make_installation(os="linux", arch="x86_64", shim_version="0.1.0")
    installation = rollout_services.installation_set_consent(
        installation=installation, telemetry_consent=True, consent_version="1"
    )
    now = datetime.now(UTC)
    kinds = [(kind, mode) for kind in ("build", "rebuild", "hot_reload", "bench") for mode in ("fast", "normal")]
    events = [
        wire_event(kind, mode=mode, occurred_at=(now - timedelta(hours=hours)).isoformat())
        for hours, (kind, mode) in enumerate(kinds * 3)
    ]
    batch = wire.parse_batch(json.dumps({"schema": 1, "events": events}).encode(), received_at=now)
    telemetry_services.build_events_ingest(installation=installation, events=batch.events)
    receipt = feedback_services.feedback_submit_from_installation(
        installation=installation, client_id=uuid.uuid4(), text="Rebuilds are great, but hot reload is slow."
    )
    user = get_user_model().objects.create_user(
        "fuzz-maintainer", "fuzz@example.com", password=None, is_staff=True, is_superuser=True
    )
    report = report_services.report_create(feature=fast_mode, trigger=ReportTrigger.ON_DEMAND, actor=user)
    client = Client()
    client.force_login(user)
    current["world"] = World(
        installation_token=token,
        session_cookie=client.cookies["sessionid"].value,
        feature_key=fast_mode.key,
        feedback_item_id=receipt.item.pk,
        report_id=report.pk,
    )
    yield current["world"]
    del current["world"]


def _credentials(role: str, world: World) -> tuple[dict[str, str], dict[str, str]]:
    """The headers and cookies that sign a request in as a role."""
    if role == "installation":
        return {"Authorization": f"Bearer {world.installation_token}"}, {}
    if role == "staff":
        return {"X-CSRFToken": CSRF_TOKEN}, {"sessionid": world.session_cookie, "csrftoken": CSRF_TOKEN}
    return {}, {}


def _sends_as(role: str, operation: str) -> bool:
    """Every case goes to every role the operation lets in. A role it has only refused so far (401 / 403, before
    any parsing) gets its first REFUSALS_IN_FULL cases, then every REFUSED_SAMPLE-th: more of the same refusal
    adds little and would double the run time."""
    if tally.reached[(operation, role)] or tally.refused[(operation, role)] < REFUSALS_IN_FULL:
        return True
    return tally.per_operation[operation] % REFUSED_SAMPLE == 0


@schema.parametrize()
# The database fixture outlives each generated case on purpose: as on a live server, state accumulates
# (installations deleted, features promoted, reports made); rebuilding it per case would multiply the run time.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_fuzz(case: schemathesis.Case[Any], world: World) -> None:
    operation = case.operation.label
    if not tally.cases:
        tally.started = time.monotonic()  # not at import: in the whole suite, other modules run before this one
    tally.cases += 1
    tally.per_operation[operation] += 1
    tally.phases[case.meta.phase.name.value if case.meta else "?"] += 1
    for role in ROLES:
        if not _sends_as(role, operation):
            continue
        headers, cookies = _credentials(role, world)
        # Credentials passed to the call are ours, not generated: the auth check then probes the operation without
        # them (it strips them from the call) instead of failing the call for sending "generated" credentials.
        # Schemathesis's own auth helpers set the same flag; its providers run at collection, before any world.
        case._has_explicit_auth = bool(headers)
        try:
            response = case.call_and_validate(headers=headers, cookies=cookies)
        except BaseException as exc:
            exc.add_note(f"as {role}")
            raise
        tally.requests += 1
        tally.statuses[(operation, role, response.status_code)] += 1
        if response.status_code in (401, 403):
            tally.refused[(operation, role)] += 1
        elif response.status_code not in BEFORE_AUTHENTICATION:
            tally.reached[(operation, role)] = True


def test_api_fuzz__covered_every_operation_and_role(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs after the fuzzing (file order): the case count and who got through are measured here."""
    if set(tally.per_operation) != set(OPERATIONS):
        pytest.skip("only part of the fuzzing ran (selected with -k?)")
    seconds = time.monotonic() - tally.started
    with capsys.disabled():
        print(
            f"\napi fuzz: {len(OPERATIONS)} operations, {tally.cases} cases ({dict(tally.phases)}), "
            f"{tally.requests} requests as {len(ROLES)} roles, {seconds:.1f} s"
        )
    assert tally.cases >= MIN_CASES
    sent = {(operation, role) for operation, role, _ in tally.statuses}
    assert sent == {(operation, role) for operation in OPERATIONS for role in ROLES}
    ok = collections.defaultdict(set)
    for (operation, role, status), _ in tally.statuses.items():
        if status < 300:
            ok[role].add(operation)
    # The credentials work: each role got real answers (a broken session or token would only ever see 401/403).
    assert "GET /api/v1/metrics/build-times" in ok["staff"]
    assert "GET /api/v1/installations/me" in ok["installation"]
    assert "POST /api/v1/installations" in ok["anonymous"]
    assert not any(operation.startswith("GET /api/v1/metrics") for operation in ok["anonymous"] | ok["installation"])

"""`manage.py simulate_rollout`: a marked, realistic community made through the real services, and removed again."""

import json
import uuid
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from feedback.models import FeedbackItem
from reports import simulation
from rollout import services as rollout_services
from rollout.models import AuditEvent, Enrollment, Feature, Installation, Participant
from telemetry import selectors as telemetry
from telemetry.models import BuildEvent, Rollup
from telemetry.schema import parse_batch
from telemetry.services import build_events_ingest

pytestmark = pytest.mark.django_db

SMALL = {"installations": 14, "weeks": 2, "events": 1200, "feedback": 10, "seed": 5}


def _simulate(**options: Any) -> str:
    out = StringIO()
    call_command("simulate_rollout", stdout=out, **{**SMALL, **options})
    return out.getvalue()


def test_simulate_rollout__small__a_marked_community_through_the_services() -> None:
    output = _simulate()
    assert "SIMULATED DATA - 14 installations" in output
    assert "simulate_rollout --clear" in output
    installations = Installation.objects.all()
    assert installations.count() == 14
    assert all(
        i.shim_version == simulation.SIMULATED_SHIM_VERSION and i.telemetry_consent for i in installations
    )
    assert {i.os for i in installations} >= {"linux", "macos"}
    # Rings come from enrollments made (and codes linked) through the rollout services.
    enrolled = installations.exclude(ring="general")
    assert enrolled.exists()
    for installation in enrolled:
        assert Enrollment.objects.filter(left_at__isnull=True, ring=installation.ring).exists()
    assert AuditEvent.objects.filter(action="rollout.installation.linked").exists()
    assert all(p.handle.startswith(simulation.SIMULATED_PREFIX) for p in Participant.objects.all())
    # Telemetry: every event stored through the ingest, marked, stamped with the server's ring, in both modes.
    events = BuildEvent.objects.all()
    assert events.count() == 1200
    assert set(events.values_list("shim_version", flat=True)) == {simulation.SIMULATED_SHIM_VERSION}
    assert set(events.values_list("mode", flat=True)) == {"fast", "normal"}
    assert set(events.values_list("kind", flat=True)) >= {"build", "rebuild", "hot_reload"}
    for installation in enrolled[:3]:
        assert set(events.filter(installation=installation).values_list("ring", flat=True)) <= {
            installation.ring
        }
    assert (max(events.values_list("day", flat=True)) - min(events.values_list("day", flat=True))).days >= 10
    rebuilds = telemetry.build_times(telemetry.MetricsFilter.last_days(14, kind="rebuild"))
    assert sum(group.timing.n for group in rebuilds.groups) > 0  # the rollups were fed too
    # Feedback in developers' words, through the feedback service, marked.
    items = FeedbackItem.objects.all()
    assert items.count() == 10
    assert all(
        item.source == "web" and item.external_id.startswith(simulation.SIMULATED_PREFIX) for item in items
    )
    assert len({item.text for item in items}) >= 8
    assert {item.text for item in items} <= {text for _, text in simulation.FEEDBACK_TEXTS}
    assert Feature.objects.get(key="fast-mode").current_phase.key == "beta"  # type: ignore[union-attr]


def test_simulate_rollout__same_seed__same_community() -> None:
    first = simulation.simulate_rollout(installations=10, weeks=1, events=300, feedback=3, seed=9)
    simulation.simulated_data_clear()
    second = simulation.simulate_rollout(installations=10, weeks=1, events=300, feedback=3, seed=9)
    assert first.rings == second.rings and first.oses == second.oses and first.kinds == second.kinds


def test_simulate_rollout__already_there__refuses() -> None:
    _simulate()
    with pytest.raises(CommandError, match="--clear"):
        _simulate()


def test_simulate_rollout__already_there_with_once__does_nothing() -> None:
    _simulate()
    assert "nothing to do" in _simulate(once=True)
    assert Installation.objects.count() == 14


@pytest.mark.parametrize("option", [{"installations": 0}, {"weeks": 30}, {"events": -1}])
def test_simulate_rollout__out_of_range__refuses(option: dict[str, int]) -> None:
    with pytest.raises(CommandError, match="must be between"):
        _simulate(**option)
    assert not Installation.objects.exists()


def test_simulate_rollout__clear__removes_it_all_and_keeps_real_data(fast_mode: Feature) -> None:
    # A real installation with a real event, which the clearing must not touch.
    real, _ = rollout_services.installation_register(os="linux", shim_version="0.1.0")
    real = rollout_services.installation_set_consent(
        installation=real, telemetry_consent=True, consent_version="1"
    )
    event = {
        "event_id": str(uuid.uuid4()),
        "kind": "rebuild",
        "occurred_at": timezone.now().isoformat(),
        "session_id": str(uuid.uuid4()),
        "command": "watch",
        "mode": "fast",
        "profile": "dev",
        "outcome": "success",
        "duration_ms": 5000,
        "env": {"os": "linux"},
    }
    parsed = parse_batch(json.dumps({"schema": 1, "events": [event]}).encode(), received_at=timezone.now())
    build_events_ingest(installation=real, events=parsed.events)
    _simulate()

    output = StringIO()
    call_command("simulate_rollout", "--clear", stdout=output)
    assert "Removed simulated data: 14 installations" in output.getvalue()
    assert list(Installation.objects.all()) == [real]
    assert BuildEvent.objects.count() == 1
    rollup_events = sum(Rollup.objects.filter(grouping="compact").values_list("events", flat=True))
    assert rollup_events == 1  # the simulated days were recomputed without the simulated events
    assert not FeedbackItem.objects.exists()
    assert not Enrollment.objects.filter(left_at__isnull=True).exists()
    assert not simulation.simulated_data_exists()
    assert AuditEvent.objects.filter(action="feedback.item.deleted", actor="simulation").count() == 10


def test_feedback_texts__varied_and_in_every_mood() -> None:
    texts = [text for _, text in simulation.FEEDBACK_TEXTS]
    assert len(texts) >= 60 and len(set(texts)) == len(texts)
    moods = {mood for mood, _ in simulation.FEEDBACK_TEXTS}
    assert moods == {"positive", "neutral", "negative"}

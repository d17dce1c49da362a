"""Reads of the rollout app that are more than a .get()."""

from django.db.models import QuerySet

from rollout.auth_cache import cached_installation, remember_installation
from rollout.models import AuditEvent, Enrollment, Feature, Installation, Phase, PhaseTransition
from rollout.tokens import hash_token

FAST_MODE_KEY = "fast-mode"


def installation_by_token(token: str) -> Installation | None:
    digest = hash_token(token)
    installation = cached_installation(digest)
    if installation is not None:
        return installation
    try:
        installation = Installation.objects.get(token_hash=digest)
    except Installation.DoesNotExist:
        return None
    remember_installation(installation)
    return installation


def feature_by_key(key: str) -> Feature | None:
    return Feature.objects.select_related("current_phase").filter(key=key).first()


def feature_phases(feature: Feature) -> QuerySet[Phase]:
    return Phase.objects.filter(feature=feature).order_by("order")


def feature_next_phase(feature: Feature) -> Phase | None:
    phases = feature_phases(feature)
    if feature.current_phase is None:
        return phases.first()
    return phases.filter(order__gt=feature.current_phase.order).first()


def feature_transitions(feature: Feature) -> QuerySet[PhaseTransition]:
    return PhaseTransition.objects.filter(feature=feature).select_related("from_phase", "to_phase")


def active_enrollment_for_installation(installation: Installation) -> Enrollment | None:
    own = installation.enrollments.filter(left_at__isnull=True).first()
    if own is not None or installation.participant_id is None:
        return own
    return Enrollment.objects.filter(participant_id=installation.participant_id, left_at__isnull=True).first()


def audit_events(
    *, action_prefix: str = "", object_type: str = "", object_id: str = ""
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor_user")
    if action_prefix:
        events = events.filter(action__startswith=action_prefix)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    return events

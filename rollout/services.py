"""Every write of the rollout app: one transaction each, each with its audit event."""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from pitwall.errors import ApplicationError
from rollout import flags, validation
from rollout.audit import Actor, actor_label, audit_record, snapshot_of
from rollout.auth_cache import forget_installation, remember_installation
from rollout.codes import hash_code, new_code, normalize_code
from rollout.models import (
    AuditEvent,
    Enrollment,
    EnrollmentCode,
    EnrollmentRing,
    EnrollmentSource,
    Feature,
    FlagsState,
    Installation,
    Participant,
    Phase,
    PhaseTransition,
    Ring,
    Segment,
    Strategy,
)
from rollout.phase_templates import strategies_for_phase
from rollout.tokens import hash_token, new_token

logger = logging.getLogger(__name__)


# --- flag configuration -------------------------------------------------------------------------------------


def _flags_changed() -> None:
    """Bump the shared version so every process rebuilds its snapshot; publish it once the change is committed."""
    state, _ = FlagsState.objects.get_or_create(id=1)
    FlagsState.objects.filter(id=1).update(version=F("version") + 1, updated_at=timezone.now())
    state.refresh_from_db(fields=["version"])
    version = state.version
    transaction.on_commit(lambda: flags.publish_version(version))


def _strategy_picture(strategy: Strategy) -> dict[str, Any]:
    return {
        "id": strategy.pk,
        "sort_order": strategy.sort_order,
        "name": strategy.name,
        "title": strategy.title,
        "parameters": strategy.parameters,
        "constraints": strategy.constraints,
        "variants": strategy.variants,
        "segments": sorted(strategy.segments.values_list("id", flat=True)) if strategy.pk else [],
        "disabled": strategy.disabled,
        "from_phase_template": strategy.from_phase_template,
    }


def _strategies_picture(feature: Feature) -> list[dict[str, Any]]:
    return [
        _strategy_picture(s)
        for s in feature.strategies.prefetch_related("segments").order_by("sort_order", "id")
    ]


@transaction.atomic
def feature_create(
    *,
    key: str,
    actor: Actor,
    description: str = "",
    enabled: bool = True,
    variants: list[dict[str, Any]] | None = None,
    dependencies: list[dict[str, Any]] | None = None,
) -> Feature:
    variants = variants or []
    dependencies = dependencies or []
    validation.validate_variants(variants)
    validation.validate_dependencies(dependencies)
    if Feature.objects.filter(key=key).exists():
        raise ApplicationError(f"A feature with key {key!r} already exists.", code="feature_exists")
    feature = Feature.objects.create(
        key=key, description=description, enabled=enabled, variants=variants, dependencies=dependencies
    )
    audit_record(actor=actor, action="rollout.feature.created", instance=feature, after=snapshot_of(feature))
    _flags_changed()
    return feature


@transaction.atomic
def feature_update(
    *,
    feature: Feature,
    actor: Actor,
    description: str | None = None,
    variants: list[dict[str, Any]] | None = None,
    dependencies: list[dict[str, Any]] | None = None,
    reason: str = "",
) -> Feature:
    feature = Feature.objects.select_for_update().get(pk=feature.pk)
    before = snapshot_of(feature)
    fields: list[str] = []
    if description is not None:
        feature.description = description
        fields.append("description")
    if variants is not None:
        validation.validate_variants(variants)
        feature.variants = variants
        fields.append("variants")
    if dependencies is not None:
        validation.validate_dependencies(dependencies)
        if any(dep.get("feature") == feature.key for dep in dependencies):
            raise ApplicationError("A feature cannot depend on itself.", code="invalid_dependencies")
        feature.dependencies = dependencies
        fields.append("dependencies")
    if not fields:
        return feature
    feature.save(update_fields=[*fields, "updated_at"])
    audit_record(
        actor=actor,
        action="rollout.feature.updated",
        instance=feature,
        before=before,
        after=snapshot_of(feature),
        reason=reason,
    )
    _flags_changed()
    return feature


@transaction.atomic
def feature_set_enabled(*, feature: Feature, enabled: bool, actor: Actor, reason: str) -> Feature:
    """The kill switch."""
    if not reason.strip():
        raise ApplicationError("Say why the kill switch is flipped.", code="reason_required")
    feature = Feature.objects.select_for_update().get(pk=feature.pk)
    if feature.enabled == enabled:
        return feature
    before = snapshot_of(feature)
    feature.enabled = enabled
    feature.save(update_fields=["enabled", "updated_at"])
    audit_record(
        actor=actor,
        action="rollout.feature.enabled" if enabled else "rollout.feature.killed",
        instance=feature,
        before=before,
        after=snapshot_of(feature),
        reason=reason,
    )
    logger.warning("rollout.feature.kill_switch feature=%s enabled=%s", feature.key, enabled)
    _flags_changed()
    return feature


@transaction.atomic
def strategy_save(
    *,
    feature: Feature,
    actor: Actor,
    strategy: Strategy | None = None,
    name: str,
    parameters: dict[str, Any],
    constraints: list[dict[str, Any]],
    variants: list[dict[str, Any]] | None = None,
    segments: list[Segment] | None = None,
    title: str = "",
    sort_order: int | None = None,
    disabled: bool = False,
) -> Strategy:
    """Create a strategy, or replace an existing one's definition; refuses anything the engine cannot run."""
    variants = variants or []
    validation.validate_strategy(name=name, parameters=parameters, constraints=constraints, variants=variants)
    before = None
    if strategy is None:
        strategy = Strategy(feature=feature)
        if sort_order is None:
            sort_order = (
                feature.strategies.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0
            ) + 1
    else:
        before = _strategy_picture(strategy)
    strategy.name = name
    strategy.title = title
    strategy.parameters = parameters
    strategy.constraints = constraints
    strategy.variants = variants
    strategy.disabled = disabled
    if sort_order is not None:
        strategy.sort_order = sort_order
    strategy.save()
    if segments is not None:
        strategy.segments.set(segments)
    audit_record(
        actor=actor,
        action="rollout.strategy.created" if before is None else "rollout.strategy.updated",
        instance=strategy,
        before=before,
        after=_strategy_picture(strategy),
    )
    _flags_changed()
    return strategy


@transaction.atomic
def strategy_delete(*, strategy: Strategy, actor: Actor) -> None:
    before = _strategy_picture(strategy)
    audit_record(actor=actor, action="rollout.strategy.deleted", instance=strategy, before=before)
    strategy.delete()
    _flags_changed()


@transaction.atomic
def segment_save(
    *,
    actor: Actor,
    name: str,
    constraints: list[dict[str, Any]],
    description: str = "",
    segment: Segment | None = None,
) -> Segment:
    validation.validate_constraints(constraints)
    before = snapshot_of(segment) if segment is not None else None
    if segment is None:
        segment = Segment()
    segment.name = name
    segment.description = description
    segment.constraints = constraints
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError as exc:
        raise ApplicationError(f"A segment named {name!r} already exists.", code="segment_exists") from exc
    audit_record(
        actor=actor,
        action="rollout.segment.created" if before is None else "rollout.segment.updated",
        instance=segment,
        before=before,
        after=snapshot_of(segment),
    )
    _flags_changed()
    return segment


@transaction.atomic
def segment_delete(*, segment: Segment, actor: Actor) -> None:
    if segment.strategies.exists():
        raise ApplicationError("The segment is still used by a strategy.", code="segment_in_use")
    audit_record(actor=actor, action="rollout.segment.deleted", instance=segment, before=snapshot_of(segment))
    segment.delete()
    _flags_changed()


# --- phases -------------------------------------------------------------------------------------------------


@transaction.atomic
def phase_create(
    *,
    feature: Feature,
    key: str,
    order: int,
    name: str,
    actor: Actor,
    rings: list[str],
    rollout_percentage: int = 0,
    description: str = "",
    gate_thresholds: dict[str, Any] | None = None,
) -> Phase:
    validation.validate_phase_template(rings=rings, rollout_percentage=rollout_percentage)
    phase = Phase(
        feature=feature,
        key=key,
        order=order,
        name=name,
        rings=rings,
        rollout_percentage=rollout_percentage,
        description=description,
    )
    if gate_thresholds is not None:
        phase.gate_thresholds = validation.validate_gate_thresholds(gate_thresholds)
    phase.save()
    audit_record(actor=actor, action="rollout.phase.created", instance=phase, after=snapshot_of(phase))
    return phase


@transaction.atomic
def phase_update(
    *,
    phase: Phase,
    actor: Actor,
    rings: list[str] | None = None,
    rollout_percentage: int | None = None,
    gate_thresholds: dict[str, Any] | None = None,
    description: str | None = None,
    reason: str = "",
) -> Phase:
    """Edit a phase; when it is the feature's current phase, its strategies follow at once."""
    phase = Phase.objects.select_for_update().select_related("feature").get(pk=phase.pk)
    before = snapshot_of(phase)
    new_rings = phase.rings if rings is None else rings
    new_percentage = phase.rollout_percentage if rollout_percentage is None else rollout_percentage
    validation.validate_phase_template(rings=new_rings, rollout_percentage=new_percentage)
    phase.rings = new_rings
    phase.rollout_percentage = new_percentage
    if gate_thresholds is not None:
        phase.gate_thresholds = validation.validate_gate_thresholds(gate_thresholds)
    if description is not None:
        phase.description = description
    phase.save()
    audit_record(
        actor=actor,
        action="rollout.phase.updated",
        instance=phase,
        before=before,
        after=snapshot_of(phase),
        reason=reason,
    )
    if phase.feature.current_phase_id == phase.pk:
        _apply_phase_template(phase.feature, phase)
        _flags_changed()
    return phase


def _apply_phase_template(feature: Feature, phase: Phase) -> None:
    feature.strategies.filter(from_phase_template=True).delete()
    for order, spec in enumerate(
        strategies_for_phase(
            rings=phase.rings, rollout_percentage=phase.rollout_percentage, group_id=feature.salt
        )
    ):
        Strategy.objects.create(
            feature=feature,
            sort_order=order,
            name=spec["name"],
            title=spec["title"],
            parameters=spec["parameters"],
            constraints=spec["constraints"],
            from_phase_template=True,
        )


@transaction.atomic
def feature_move_to_phase(
    *,
    feature: Feature,
    phase: Phase,
    actor: Actor,
    reason: str,
    gate_snapshot: dict[str, Any] | None = None,
) -> PhaseTransition:
    """Apply the phase's strategy template and record the transition with the strategies before and after."""
    if phase.feature_id != feature.pk:
        raise ApplicationError("That phase belongs to another feature.", code="phase_mismatch")
    if not reason.strip():
        raise ApplicationError("Say why the phase changes.", code="reason_required")
    feature = Feature.objects.select_for_update().get(pk=feature.pk)
    from_phase = feature.current_phase
    before = _strategies_picture(feature)
    _apply_phase_template(feature, phase)
    feature.current_phase = phase
    feature.save(update_fields=["current_phase", "updated_at"])
    after = _strategies_picture(feature)
    transition = PhaseTransition.objects.create(
        feature=feature,
        from_phase=from_phase,
        to_phase=phase,
        actor=actor_label(actor),
        reason=reason,
        strategies_before=before,
        strategies_after=after,
        gate_snapshot=gate_snapshot or {},
    )
    audit_record(
        actor=actor,
        action="rollout.feature.phase_moved",
        instance=feature,
        before={"phase": from_phase.key if from_phase else None, "strategies": before},
        after={"phase": phase.key, "strategies": after},
        reason=reason,
    )
    logger.info("rollout.feature.phase_moved feature=%s phase=%s", feature.key, phase.key)
    _flags_changed()
    return transition


# --- installations ------------------------------------------------------------------------------------------


@transaction.atomic
def installation_register(
    *, os: str = "", arch: str = "", shim_version: str = ""
) -> tuple[Installation, str]:
    """A new anonymous installation; the token is returned once and only its digest is kept."""
    token = new_token()
    installation = Installation.objects.create(
        token_hash=hash_token(token), os=os, arch=arch, shim_version=shim_version
    )
    audit_record(
        actor="installation",
        action="rollout.installation.registered",
        instance=installation,
        after={"os": os, "arch": arch, "shim_version": shim_version},
    )
    return installation, token


@transaction.atomic
def installation_set_consent(
    *, installation: Installation, telemetry_consent: bool, consent_version: str
) -> Installation:
    installation = Installation.objects.select_for_update().get(pk=installation.pk)
    before = {
        "telemetry_consent": installation.telemetry_consent,
        "consent_version": installation.consent_version,
    }
    installation.telemetry_consent = telemetry_consent
    installation.consent_version = consent_version if telemetry_consent else installation.consent_version
    installation.consent_at = timezone.now()
    installation.save(update_fields=["telemetry_consent", "consent_version", "consent_at"])
    forget_installation(installation)
    audit_record(
        actor="installation",
        action="rollout.installation.consent_changed",
        instance=installation,
        before=before,
        after={"telemetry_consent": telemetry_consent, "consent_version": installation.consent_version},
    )
    return installation


def installation_touch(*, installation: Installation) -> None:
    """Record that the installation was seen; at most once a minute, so the hot path rarely writes."""
    now = timezone.now()
    if now - installation.last_seen > timedelta(minutes=1):
        Installation.objects.filter(pk=installation.pk).update(last_seen=now)
        installation.last_seen = now
        remember_installation(installation)


@transaction.atomic
def installation_delete(*, installation: Installation) -> None:
    """Opt out: the installation and everything that refers to it go (its telemetry and feedback cascade).

    Its own audit events go too, so no row keeps its id; one anonymous event records that an opt-out happened.
    """
    AuditEvent.objects.filter(
        object_type=Installation._meta.label_lower, object_id=str(installation.pk)
    ).delete()
    forget_installation(installation)
    installation.delete()
    audit_record(
        actor="installation", action="rollout.installation.deleted", object_type="rollout.installation"
    )


def _ring_for_installation(installation: Installation) -> str:
    own = installation.enrollments.filter(left_at__isnull=True).first()
    if own is not None:
        return own.ring
    if installation.participant_id is not None:
        shared = Enrollment.objects.filter(
            participant_id=installation.participant_id, left_at__isnull=True
        ).first()
        if shared is not None:
            return shared.ring
    return str(Ring.GENERAL)


def _refresh_rings(installations: list[Installation]) -> None:
    for installation in installations:
        ring = _ring_for_installation(installation)
        if ring != installation.ring:
            installation.ring = ring
            installation.save(update_fields=["ring"])
            forget_installation(installation)


@transaction.atomic
def installation_link(*, installation: Installation, code: str) -> Enrollment:
    """Link an installation to the enrollment behind a code: the code is used up, the ring follows."""
    canonical = normalize_code(code)
    if canonical is None:
        raise ApplicationError("That is not an enrollment code.", code="enrollment_code_invalid")
    record = (
        EnrollmentCode.objects.select_for_update(of=("self",))
        .select_related("enrollment")
        .filter(code_hash=hash_code(canonical))
        .first()
    )
    if record is None:
        raise ApplicationError("Unknown enrollment code.", code="enrollment_code_invalid")
    if record.used_at is not None:
        raise ApplicationError("This enrollment code was already used.", code="enrollment_code_used")
    if record.expires_at <= timezone.now():
        raise ApplicationError(
            "This enrollment code has expired; ask for a new one.", code="enrollment_code_expired"
        )
    enrollment = record.enrollment
    if not enrollment.is_active:
        raise ApplicationError("That enrollment has ended.", code="enrollment_code_invalid")
    installation = Installation.objects.select_for_update().get(pk=installation.pk)
    before = {"ring": installation.ring, "participant": installation.participant_id}
    record.used_at = timezone.now()
    record.used_by = installation
    record.save(update_fields=["used_at", "used_by"])
    if enrollment.participant_id is not None:
        installation.participant_id = enrollment.participant_id
        installation.save(update_fields=["participant"])
        forget_installation(installation)
    _refresh_rings([installation])
    audit_record(
        actor="installation",
        action="rollout.installation.linked",
        instance=installation,
        before=before,
        after={"ring": installation.ring, "participant": installation.participant_id},
    )
    return enrollment


# --- participants and enrollment ----------------------------------------------------------------------------


@transaction.atomic
def participant_upsert(
    *, handle: str, discord_id: str | None = None, github_login: str | None = None
) -> Participant:
    """Find the person by Discord id or GitHub login (a handle alone always makes a new participant)."""
    participant = None
    if discord_id:
        participant = Participant.objects.filter(discord_id=discord_id).first()
    if participant is None and github_login:
        participant = Participant.objects.filter(github_login=github_login).first()
    if participant is None:
        participant = Participant.objects.create(
            handle=handle, discord_id=discord_id, github_login=github_login
        )
        audit_record(
            actor="system",
            action="rollout.participant.created",
            instance=participant,
            after=snapshot_of(participant),
        )
    elif participant.handle != handle:
        participant.handle = handle
        participant.save(update_fields=["handle"])
    return participant


@transaction.atomic
def enrollment_create(
    *,
    ring: str,
    source: str,
    consent_text_version: str,
    actor: Actor,
    participant: Participant | None = None,
    installation: Installation | None = None,
) -> tuple[Enrollment, EnrollmentCode | None]:
    """Enroll a person (gets a code to link installations) or an installation directly; moving ring updates."""
    if ring not in EnrollmentRing.values:
        raise ApplicationError(f"Unknown ring {ring!r}.", code="invalid_ring")
    if source not in EnrollmentSource.values:
        raise ApplicationError(f"Unknown source {source!r}.", code="invalid_source")
    if (participant is None) == (installation is None):
        raise ApplicationError("Enroll either a participant or an installation.", code="invalid_enrollment")
    active = (
        Enrollment.objects.select_for_update()
        .filter(participant=participant, installation=installation, left_at__isnull=True)
        .first()
    )
    if active is not None and active.ring == ring:
        enrollment = active
    else:
        if active is not None:
            active.left_at = timezone.now()
            active.save(update_fields=["left_at"])
        enrollment = Enrollment.objects.create(
            participant=participant,
            installation=installation,
            ring=ring,
            source=source,
            consent_text_version=consent_text_version,
        )
        audit_record(
            actor=actor,
            action="rollout.enrollment.created",
            instance=enrollment,
            before={"ring": active.ring} if active else None,
            after={"ring": ring, "source": source},
        )
    _refresh_rings(_installations_of(participant=participant, installation=installation))
    code = enrollment_code_issue(enrollment=enrollment) if participant is not None else None
    return enrollment, code


def _installations_of(
    *, participant: Participant | None, installation: Installation | None
) -> list[Installation]:
    if installation is not None:
        return [installation]
    assert participant is not None
    return list(participant.installations.all())


@transaction.atomic
def enrollment_code_issue(*, enrollment: Enrollment) -> EnrollmentCode:
    ttl = timedelta(hours=settings.PITWALL_ENROLLMENT_CODE_TTL_HOURS)
    for _ in range(5):
        try:
            plaintext = new_code()
            with transaction.atomic():
                record = EnrollmentCode.objects.create(
                    code_hash=hash_code(plaintext), enrollment=enrollment, expires_at=timezone.now() + ttl
                )
            record.plaintext = plaintext  # shown to the person once; only the digest is stored
            return record
        except IntegrityError:  # a collision in 32**8 codes: draw again
            continue
    raise ApplicationError(
        "Could not issue an enrollment code; try again.", code="code_issue_failed", status_code=503
    )


@transaction.atomic
def enrollment_leave(
    *, actor: Actor, participant: Participant | None = None, installation: Installation | None = None
) -> bool:
    """End the active enrollment; the person's installations fall back to the general ring."""
    active = (
        Enrollment.objects.select_for_update()
        .filter(participant=participant, installation=installation, left_at__isnull=True)
        .first()
    )
    if active is None:
        return False
    active.left_at = timezone.now()
    active.save(update_fields=["left_at"])
    audit_record(actor=actor, action="rollout.enrollment.left", instance=active, before={"ring": active.ring})
    _refresh_rings(_installations_of(participant=participant, installation=installation))
    return True


def enrollment_code_display(code: EnrollmentCode) -> str:
    return code.display


@transaction.atomic
def enrollment_codes_purge(*, grace: timedelta = timedelta(days=7)) -> int:
    """Delete codes that expired unused more than `grace` ago (used ones stay as the link's record)."""
    deleted, _ = EnrollmentCode.objects.filter(
        used_at__isnull=True, expires_at__lt=timezone.now() - grace
    ).delete()
    if deleted:
        audit_record(
            actor="system",
            action="rollout.enrollment_codes.purged",
            object_type="rollout.enrollmentcode",
            after={"deleted": deleted},
        )
    return deleted

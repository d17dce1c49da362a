"""A simulated community for a fresh install: installations, enrollments, weeks of builds and feedback.

Everything goes in through the real services, exactly as the API and the web form put it in: installations are
registered and consent, people enroll and link their installation with the code, telemetry batches are decoded by
the same schema code as the batch endpoint and stored by the same ingest service, feedback goes through the
feedback service and is scored by its task. Only the inputs are invented (telemetry.synthetic draws realistic
machines, projects and timings).

Simulated data is marked so it is never mistaken for the real thing, and so `simulated_data_clear` finds it:
installations (and their events) carry the shim version SIMULATED_SHIM_VERSION, participants' handles start with
SIMULATED_PREFIX, feedback external ids too. The dashboard shows a banner while any of it exists.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

import feedback.scoring as scoring
from feedback import services as feedback_services
from feedback.models import FeedbackItem, FeedbackSource
from rollout import services as rollout_services
from rollout.bootstrap import bootstrap_fast_mode
from rollout.models import EnrollmentSource, Installation, Participant
from telemetry import schema
from telemetry import services as telemetry_services
from telemetry.models import BuildEvent
from telemetry.synthetic import SyntheticInstallation, generate_events, make_installations

logger = logging.getLogger(__name__)

SIMULATED_SHIM_VERSION = "0.0.0-simulated"
SIMULATED_PREFIX = "sim-"
ACTOR = "simulation"
UPLOADS_PER_COMMIT = 100

Progress = Callable[[str], None]

# What developers write, in their words: (mood, text). The mood only steers when an item is "sent" (complaints
# early in the beta, more praise later); the label the dashboard shows comes from the real scorer.
FEEDBACK_TEXTS: tuple[tuple[str, str], ...] = (
    # compile time
    ("positive", "Rebuilds on my medium-sized app went from about 30 s to 8 s with --fast. Huge difference."),
    ("positive", "fast mode cut my incremental compile time by more than half, I'm not going back."),
    (
        "positive",
        "Touching a component and seeing the page update in under 10 seconds feels like a different tool.",
    ),
    ("positive", "On my M2 the server rebuild is now ~6s instead of 25s. Thanks for this!"),
    ("positive", "Line-tables-only debug info was the trick, linking is so much quicker now."),
    (
        "neutral",
        "Rebuild times are roughly the same for me, maybe 10% faster. Small project though, 40 crates.",
    ),
    ("neutral", "Compile times improved on Linux but I haven't tried it on my Windows machine yet."),
    ("neutral", "Is there a way to see which settings variant I got? I want to compare with a colleague."),
    ("negative", "Fast mode is still slow on Windows, a rebuild takes 45 seconds on a 12-core laptop."),
    ("negative", "After enabling --fast the first full build took way longer than before, like 4 minutes."),
    ("negative", "Incremental rebuilds sometimes recompile the whole workspace for no reason, back to 60s."),
    (
        "negative",
        "Compile time barely changed for my workspace with 9 members, the lib crate dominates anyway.",
    ),
    # hot reload
    ("positive", "Hot reload of view! macros is almost instant now, styles too. Love it."),
    ("positive", "Hot reload has not failed once this week, it finally feels reliable."),
    ("positive", "Editing a view and seeing the patch in the browser in under a second is amazing."),
    (
        "neutral",
        "Hot reload works for views but Rust changes in server functions still need a full rebuild, as expected I guess.",
    ),
    (
        "neutral",
        "The browser sometimes needs a manual refresh after CSS changes, not sure if that's fast mode or my setup.",
    ),
    (
        "negative",
        "Hot reload keeps dropping the websocket connection and I have to refresh manually every few edits.",
    ),
    (
        "negative",
        "Hot reload broke after I added a new signal to a component, the page went blank until a full reload.",
    ),
    (
        "negative",
        "Patches arrive but the page state is lost every time, which makes hot reload pretty useless for forms.",
    ),
    ("negative", "hot reload is flaky with nested Suspense, maybe one in three edits just doesn't show up"),
    # error messages
    ("negative", "The error messages with fast mode are worse, I lost the nice span in the macro error."),
    ("negative", "When the build fails the dev server just hangs instead of printing the rustc error."),
    ("neutral", "Backtraces look a bit different with line-tables-only, still readable though."),
    ("negative", "Panics in the server now show fewer frames, debugging a hydration bug was harder."),
    ("positive", "Errors show up faster in the terminal now, which honestly is most of what I care about."),
    # tooling / install
    (
        "negative",
        "Installing the shim with pipx worked but cargo leptos still ran the old binary until I fixed PATH.",
    ),
    ("neutral", "leptos-fast setup printed the PATH line for fish, worked first time."),
    ("negative", "The shim didn't pick up my mold linker config from .cargo/config.toml."),
    ("positive", "Setup took two minutes: pipx install, leptos-fast setup, enroll code, done."),
    ("neutral", "Would be nice if leptos-fast status showed the cargo-leptos version it wraps."),
    ("negative", "cargo-leptos 0.2.24 seems slower with fast mode than 0.2.22 was, rebuilds crept up again."),
    (
        "neutral",
        "Running it inside a devcontainer works, telemetry is off there because of CI=true which is fine.",
    ),
    (
        "negative",
        "Enrolling failed the first time because the code had expired, had to request a new one on Discord.",
    ),
    # docs
    ("negative", "The docs don't explain what --fast actually changes, I had to read the shim source."),
    (
        "neutral",
        "The docs could mention that fast mode only affects the dev profile, I was worried about release.",
    ),
    ("positive", "The page explaining the settings variants and what is collected is really clear, thanks."),
    ("negative", "I couldn't find how to turn telemetry off again in the docs, had to ask on Discord."),
    ("neutral", "A short section on using fast mode with trunk-based workflows would help."),
    # runtime / wasm size
    ("neutral", "The wasm bundle in dev is bigger now, around 9 MB, but that doesn't matter for local work."),
    ("negative", "Page load in dev got noticeably slower because the wasm file is huge without wasm-opt."),
    ("neutral", "Runtime performance in dev feels the same, didn't notice any difference."),
    # praise and general
    ("positive", "This is the best thing to happen to Leptos DX this year. Great work everyone."),
    ("positive", "Switched the whole team to --fast, everyone noticed the difference on day one."),
    ("positive", "Thank you for making this opt-in and transparent about what telemetry is sent."),
    ("positive", "fast mode + mold on Linux is just fantastic, rebuilds in 4 seconds."),
    ("positive", "Great job, the feedback loop is finally short enough to stay in flow."),
    ("neutral", "Been using it for a week, works fine, nothing special to report."),
    ("neutral", "I run both modes side by side for benchmarks, happy to share numbers if useful."),
    ("negative", "Fast mode crashed my dev server twice today with a linker error, normal mode is fine."),
    ("negative", "I had to disable fast mode, my laptop with 8 GB RAM ran out of memory during linking."),
    ("positive", "Compared to last month this is night and day. Hot reload and rebuilds both better."),
    ("neutral", "Using nightly, everything works, rebuilds a bit faster than on stable."),
    ("negative", "With the opt-level-1 variant builds got slower, not faster. Wrong variant for me?"),
    ("positive", "The fast-linker variant on my Linux box is excellent, rebuild p50 around 5 s."),
    (
        "neutral",
        "Do the timings include the time cargo-leptos spends on the style pipeline? Tailwind is slow for me.",
    ),
    ("negative", "Style changes trigger a full rebuild instead of a CSS reload in my project."),
    ("positive", "Really appreciate the quick responses on Discord when my enrollment got stuck."),
    ("neutral", "Curious when this becomes the default, I'd like to recommend it to my students."),
    ("positive", "Honestly the fastest Rust web dev loop I've had. Keep going!"),
)

_HANDLE_WORDS = (
    "ferris",
    "crab",
    "signal",
    "suspense",
    "island",
    "memo",
    "resource",
    "action",
    "view",
    "effect",
    "wasm",
    "axum",
    "actix",
    "trunk",
    "cargo",
    "rusty",
    "oxide",
    "borrow",
    "lifetime",
    "trait",
)


@dataclass
class SimulationResult:
    installations: int = 0
    rings: Counter[str] = field(default_factory=Counter)
    oses: Counter[str] = field(default_factory=Counter)
    sizes: Counter[str] = field(default_factory=Counter)
    participants: int = 0
    enrollments: Counter[str] = field(default_factory=Counter)
    events_generated: int = 0
    events_accepted: int = 0
    events_duplicate: int = 0
    events_rejected: int = 0
    batches: int = 0
    modes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    feedback_items: int = 0
    feedback_scored: int = 0
    scorer_available: bool = True
    phase: str = ""
    seconds: float = 0.0

    def lines(self) -> list[str]:
        def counts(counter: Counter[str]) -> str:
            return ", ".join(f"{key} {value}" for key, value in counter.most_common())

        lines = [
            f"SIMULATED DATA - {self.installations} installations (shim version {SIMULATED_SHIM_VERSION}, "
            f"handles starting with '{SIMULATED_PREFIX}')",
            f"  rings: {counts(self.rings)}",
            f"  OS: {counts(self.oses)}",
            f"  project sizes: {counts(self.sizes)}",
            f"  {self.participants} participants enrolled ({counts(self.enrollments)})",
            f"  telemetry: {self.events_accepted} events stored in {self.batches} batches "
            f"({self.events_duplicate} duplicates, {self.events_rejected} rejected)",
            f"    kinds: {counts(self.kinds)}; modes: {counts(self.modes)}",
            f"  feedback: {self.feedback_items} items through the feedback service, {self.feedback_scored} scored",
        ]
        if not self.scorer_available:
            lines.append(
                "  (the feedback scorer is not available: items stay unscored until "
                "`python manage.py rescore_feedback`)"
            )
        lines.append(f"  fast mode stays in phase: {self.phase or 'none'}")
        lines.append(
            f"  took {self.seconds:.1f} s. Remove it all with: python manage.py simulate_rollout --clear"
        )
        return lines


@dataclass
class ClearResult:
    installations: int = 0
    feedback_items: int = 0
    enrollments_ended: int = 0
    rollup_days: int = 0


# --- what is simulated --------------------------------------------------------------------------------------


def simulated_installations() -> QuerySet[Installation]:
    return Installation.objects.filter(shim_version=SIMULATED_SHIM_VERSION)


def simulated_data_exists() -> bool:
    """Whether the dashboard must say it shows simulated data."""
    return simulated_installations().exists()


def _handle(rng: random.Random, index: int) -> str:
    return f"{SIMULATED_PREFIX}{rng.choice(_HANDLE_WORDS)}-{rng.choice(_HANDLE_WORDS)}-{index}"


# --- the community ------------------------------------------------------------------------------------------


@dataclass
class _Member:
    synthetic: SyntheticInstallation
    installation: Installation
    participant: Participant | None


def _enroll(member: _Member, rng: random.Random, result: SimulationResult) -> None:
    """People in the beta and preview rings enroll like real ones: on the web or Discord, then link the code; a few
    enroll from the shim directly."""
    ring = member.synthetic.ring
    if ring not in ("beta", "preview"):
        return
    if rng.random() < 0.2:
        rollout_services.enrollment_create(
            installation=member.installation,
            ring=ring,
            source=EnrollmentSource.SHIM,
            consent_text_version=settings.PITWALL_CONSENT_VERSION,
            actor=ACTOR,
        )
        result.enrollments[f"{ring} via shim"] += 1
    else:
        source = EnrollmentSource.WEB if rng.random() < 0.6 else EnrollmentSource.DISCORD
        participant = rollout_services.participant_upsert(handle=_handle(rng, member.synthetic.index))
        _, code = rollout_services.enrollment_create(
            participant=participant,
            ring=ring,
            source=source,
            consent_text_version=settings.PITWALL_CONSENT_VERSION,
            actor=ACTOR,
        )
        assert code is not None
        rollout_services.installation_link(installation=member.installation, code=code.plaintext)
        member.participant = participant
        result.participants += 1
        result.enrollments[f"{ring} via {source}"] += 1
    # The ring is the server's: read back what the enrollment made of it (the ingest stamps events with it).
    member.installation.refresh_from_db()


def _register(synthetic: SyntheticInstallation) -> Installation:
    installation, _token = rollout_services.installation_register(
        os=synthetic.os, arch=synthetic.arch, shim_version=SIMULATED_SHIM_VERSION
    )
    return rollout_services.installation_set_consent(
        installation=installation, telemetry_consent=True, consent_version=settings.PITWALL_CONSENT_VERSION
    )


# --- telemetry ----------------------------------------------------------------------------------------------


def _send_batches(
    members: dict[int, _Member],
    synthetic: list[SyntheticInstallation],
    *,
    events: int,
    days: int,
    seed: int,
    result: SimulationResult,
    progress: Progress,
) -> None:
    """Each installation uploads its events the way the shim does: a batch at the end of each day it worked,
    decoded and validated by the batch endpoint's own parser, stored by the ingest service."""
    now = timezone.now()
    # The generator fills whole days up to the end of today; shift its clock so the window ends now instead.
    shift = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC) - now
    per_day: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for synthetic_installation, event in generate_events(
        count=events, days=days, installations=synthetic, seed=seed
    ):
        result.events_generated += 1
        event["env"]["shim_version"] = SIMULATED_SHIM_VERSION
        occurred = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")) - shift
        event["occurred_at"] = occurred.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        per_day[(synthetic_installation.index, event["occurred_at"][:10])].append(event)
    rng = random.Random(seed + 1)
    max_age = timedelta(days=settings.TELEMETRY_MAX_EVENT_AGE_DAYS)
    encoder = msgspec.json.Encoder()
    keys = sorted(per_day, key=lambda key: (key[1], key[0]))
    # Many small uploads: commit them a hundred at a time (each is still its own ingest, in a savepoint), so
    # SQLite does not sync to disk four thousand times. Nothing else writes while the simulation runs.
    for first in range(0, len(keys), UPLOADS_PER_COMMIT):
        with transaction.atomic():
            for key in keys[first : first + UPLOADS_PER_COMMIT]:
                _upload_day(
                    per_day[key],
                    members[key[0]].installation,
                    now=now,
                    rng=rng,
                    max_age=max_age,
                    encoder=encoder,
                    result=result,
                )
        done = min(first + UPLOADS_PER_COMMIT, len(keys))
        if done % 1000 < UPLOADS_PER_COMMIT or done == len(keys):
            progress(f"  ... {done}/{len(keys)} daily uploads stored")


def _upload_day(
    events: list[dict[str, Any]],
    installation: Installation,
    *,
    now: datetime,
    rng: random.Random,
    max_age: timedelta,
    encoder: msgspec.json.Encoder,
    result: SimulationResult,
) -> None:
    """One installation's events of one day, sent at the end of its session like the shim's spool does."""
    batch = sorted(events, key=lambda event: event["occurred_at"])
    last = datetime.fromisoformat(batch[-1]["occurred_at"].replace("Z", "+00:00"))
    received_at = min(now, last + timedelta(minutes=rng.uniform(1, 90)))
    for start in range(0, len(batch), schema.MAX_EVENTS):
        body = encoder.encode(
            {"schema": schema.SCHEMA_VERSION, "events": batch[start : start + schema.MAX_EVENTS]}
        )
        parsed = schema.parse_batch(body, received_at=received_at, max_age=max_age)
        ingested = telemetry_services.build_events_ingest(
            installation=installation, events=parsed.events, received_at=received_at
        )
        result.batches += 1
        result.events_accepted += ingested.accepted
        result.events_duplicate += ingested.duplicates
        result.events_rejected += len(parsed.rejected)
        for stored in parsed.events:
            result.modes[stored.mode] += 1
            result.kinds[str(type(stored).__struct_config__.tag)] += 1


# --- feedback -----------------------------------------------------------------------------------------------


def _pick_text(rng: random.Random, moment: float, pools: dict[str, list[str]]) -> str:
    """Early in the beta people complain more; as fast mode improves, praise grows (sentiment rising)."""
    negative = 0.45 - 0.25 * moment
    positive = 0.25 + 0.3 * moment
    roll = rng.random()
    mood = "negative" if roll < negative else "positive" if roll < negative + positive else "neutral"
    pool = pools[mood]
    text = pool.pop(rng.randrange(len(pool)))
    if not pool:  # every text of this mood used once: start over
        pool.extend(text for m, text in FEEDBACK_TEXTS if m == mood)
    return text


def _send_feedback(
    members: list[_Member], *, count: int, days: int, seed: int, result: SimulationResult
) -> None:
    rng = random.Random(seed + 2)
    pools: dict[str, list[str]] = defaultdict(list)
    for mood, text in FEEDBACK_TEXTS:
        pools[mood].append(text)
    # People who enrolled write more feedback than the general ring.
    weights = [{"beta": 5.0, "preview": 2.5, "general": 0.6}[m.synthetic.ring] for m in members]
    now = timezone.now()
    for index in range(count):
        moment = math.sqrt(rng.random())  # like the builds: more activity later in the window
        created_at = now - timedelta(days=days * (1 - moment)) - timedelta(minutes=rng.uniform(5, 60))
        author = rng.choices(members, weights=weights)[0]
        receipt = feedback_services.feedback_item_upsert(
            source=FeedbackSource.WEB,
            external_id=f"{SIMULATED_PREFIX}{seed}-{index}",
            text=_pick_text(rng, moment, pools),
            author_handle=author.participant.handle if author.participant else "",
            participant=author.participant,
            installation=author.installation if author.participant is None else None,
            created_at=created_at.astimezone(UTC),
        )
        result.feedback_items += receipt.created


# --- the whole thing ----------------------------------------------------------------------------------------


def simulate_rollout(
    *,
    installations: int = 120,
    weeks: int = 6,
    events: int = 20_000,
    feedback: int = 70,
    seed: int = 1,
    progress: Progress | None = None,
) -> SimulationResult:
    """Make a simulated community through the real services (see the module docstring)."""
    say = progress or (lambda message: None)
    started = time.monotonic()
    result = SimulationResult()
    days = weeks * 7
    feature, _ = bootstrap_fast_mode()
    rng = random.Random(seed)
    synthetic = make_installations(installations, days=days, seed=seed)
    say(f"Registering {installations} simulated installations and enrolling their people ...")
    members: dict[int, _Member] = {}
    for synthetic_installation in synthetic:
        member = _Member(
            synthetic=synthetic_installation, installation=_register(synthetic_installation), participant=None
        )
        _enroll(member, rng, result)
        members[synthetic_installation.index] = member
        result.installations += 1
        result.rings[member.installation.ring] += 1
        result.oses[synthetic_installation.os] += 1
        result.sizes[synthetic_installation.size_bucket] += 1
    say(f"Uploading about {events} build, rebuild and hot-reload events over {weeks} weeks ...")
    _send_batches(members, synthetic, events=events, days=days, seed=seed, result=result, progress=say)
    result.scorer_available = hasattr(scoring, "score_text")
    say(f"Sending {feedback} feedback items ...")
    _send_feedback(list(members.values()), count=feedback, days=days, seed=seed, result=result)
    result.feedback_scored = (
        FeedbackItem.objects.filter(external_id__startswith=SIMULATED_PREFIX, source=FeedbackSource.WEB)
        .exclude(label="")
        .count()
    )
    feature.refresh_from_db()
    result.phase = feature.current_phase.name if feature.current_phase else ""
    result.seconds = time.monotonic() - started
    logger.info(
        "reports.simulation.created installations=%d events=%d feedback=%d",
        result.installations,
        result.events_accepted,
        result.feedback_items,
    )
    return result


def simulated_data_clear() -> ClearResult:
    """Remove the simulated community through the services: installations (their events go with them), the
    rollups of those days recomputed without them, simulated feedback deleted, simulated enrollments ended."""
    result = ClearResult()
    days = list(
        BuildEvent.objects.filter(installation__shim_version=SIMULATED_SHIM_VERSION)
        .values_list("day", flat=True)
        .distinct()
    )
    for item in FeedbackItem.objects.filter(
        external_id__startswith=SIMULATED_PREFIX, source=FeedbackSource.WEB
    ):
        feedback_services.feedback_item_delete(item=item, actor=ACTOR, reason="Simulated data cleared.")
        result.feedback_items += 1
    for participant in Participant.objects.filter(handle__startswith=SIMULATED_PREFIX):
        result.enrollments_ended += rollout_services.enrollment_leave(actor=ACTOR, participant=participant)
    for installation in simulated_installations():
        result.enrollments_ended += rollout_services.enrollment_leave(actor=ACTOR, installation=installation)
        rollout_services.installation_delete(installation=installation)
        result.installations += 1
    if days:
        # Rollups have no link to installations: recompute the simulated days from the raw events left.
        since = max(min(days), telemetry_services.rollups_safe_first_day())
        rebuilt = telemetry_services.rollups_rebuild(since=since, until=max(days), actor=ACTOR)
        result.rollup_days = rebuilt.days
    logger.info(
        "reports.simulation.cleared installations=%d feedback=%d", result.installations, result.feedback_items
    )
    return result

"""What the Discord bot shows: consent and enrollment texts, status and report embeds (no I/O, no ORM)."""

import discord
from django.template.loader import render_to_string

from bots.selectors import MemberStatus, PublishableReport, StatusSummary
from bots.services import DiscordEnrollment

LEPTOS_RED = discord.Colour(0xEF3939)
RING_NAMES = {"beta": "beta", "preview": "community preview", "general": "general (not enrolled)"}


def consent_text(*, ring: str, version: str) -> str:
    return render_to_string("bots/consent.txt", {"ring": RING_NAMES.get(ring, ring), "version": version}).strip()


def enrolled_text(enrollment: DiscordEnrollment, *, feedback_channel_id: int = 0) -> str:
    return render_to_string(
        "bots/enrolled.txt",
        {
            "enrollment": enrollment,
            "expires_unix": int(enrollment.expires_at.timestamp()),
            "feedback_channel_id": feedback_channel_id,
        },
    ).strip()


def left_text(*, left: bool, ring: str) -> str:
    if not left:
        return "You were not enrolled, so there is nothing to leave. `/fastmode enroll` joins."
    return (
        f"You left the fast-mode {RING_NAMES.get(ring, ring)}. Your linked installations fall back to the general "
        "ring at their next flag refresh. `/fastmode enroll` brings you back any time."
    )


def status_embed(member: MemberStatus, summary: StatusSummary) -> discord.Embed:
    embed = discord.Embed(title="Fast mode: where things stand", colour=LEPTOS_RED, timestamp=summary.generated_at)
    if member.enrolled:
        yours = f"**{RING_NAMES.get(member.ring, member.ring)}**, {member.installations} linked installation(s)"
        if member.installations == 0:
            yours += " (run `leptos-fast enroll CODE` to link one)"
    else:
        yours = "not enrolled (`/fastmode enroll` joins)"
    embed.add_field(name="Your ring", value=yours, inline=False)
    phase = summary.phase_name + ("" if summary.enabled or not summary.feature_exists else " — paused (kill switch)")
    embed.add_field(name="Phase", value=phase, inline=True)
    rings = ", ".join(f"{ring} {n}" for ring, n in summary.enrolled_by_ring.items())
    embed.add_field(name="Enrolled", value=f"{summary.enrolled_total} ({rings})", inline=True)
    for headline in summary.headlines:
        embed.add_field(name=headline.name, value=headline.value, inline=False)
    return embed


def report_embed(report: PublishableReport) -> discord.Embed:
    return discord.Embed(
        title=report.title[:256],
        description=report.embed_description,
        colour=LEPTOS_RED,
        timestamp=report.created_at,
    )


def feedback_copy_embed(*, text: str, author: discord.abc.User) -> discord.Embed:
    embed = discord.Embed(description=text, colour=LEPTOS_RED)
    embed.set_author(name=author.display_name, icon_url=author.display_avatar.url)
    embed.set_footer(text="Fast-mode feedback, sent with /fastmode feedback")
    return embed

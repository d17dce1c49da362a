"""Drive the real Pitwall bot through discord.py's own dispatch, without Discord.

A gateway INTERACTION_CREATE payload goes to `ConnectionState.parse_interaction_create`, exactly as the gateway
reader hands it over; discord.py builds the `Interaction`, runs the `CommandTree` (or the dynamic consent buttons)
in its own tasks, and answers through its webhook adapter, which is replaced (via `async_context`) by a recorder
that keeps the JSON discord.py sends and answers like Discord. Channel posts made with the bot's REST client
(`client.http.request`) are recorded too. Tests then read what the member would see.

Written against discord.py 2.7.1 (pinned in requirements.txt): it uses `Client._async_setup_hook`,
`ConnectionState.parse_interaction_create` and the `async_context` adapter variable.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
from discord.user import ClientUser
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from bots.discord.bot import PitwallBot

GUILD_ID = 700000000000000001
CHANNEL_ID = 700000000000000002
FEEDBACK_CHANNEL_ID = 700000000000000003
REPORT_CHANNEL_ID = 700000000000000004
MAINTAINER_ROLE_ID = 700000000000000005
APPLICATION_ID = 700000000000000006
COMMAND_ID = 700000000000000007

_snowflakes = itertools.count(1)


def snowflake() -> int:
    """A fresh, realistic snowflake (its timestamp is now)."""
    return discord.utils.time_snowflake(datetime.now(UTC)) + next(_snowflakes)


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id), "username": name, "discriminator": "0", "global_name": name.title(), "avatar": None,
        "bot": bot, "public_flags": 0,
    }


def message_payload(
    *,
    message_id: int,
    channel_id: int,
    author: dict[str, Any],
    content: str = "",
    embeds: list[dict[str, Any]] | None = None,
    components: list[dict[str, Any]] | None = None,
    flags: int = 0,
    guild_id: int | None = GUILD_ID,
) -> dict[str, Any]:
    payload = {
        "id": str(message_id), "channel_id": str(channel_id), "author": author, "content": content,
        "timestamp": discord.utils.snowflake_time(message_id).isoformat(), "edited_timestamp": None,
        "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": embeds or [], "pinned": False, "type": 0, "flags": flags, "components": components or [],
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    return payload


@dataclass
class Member:
    user_id: int
    name: str
    roles: tuple[int, ...] = ()

    def payload(self) -> dict[str, Any]:
        return {
            "user": user_payload(self.user_id, self.name), "roles": [str(r) for r in self.roles], "nick": None,
            "avatar": None, "joined_at": "2024-01-01T00:00:00+00:00", "premium_since": None, "deaf": False,
            "mute": False, "pending": False, "flags": 0, "permissions": "2248473465835073",
            "communication_disabled_until": None,
        }


def interaction_payload(
    *,
    member: Member,
    data: dict[str, Any],
    kind: int = 2,
    guild_id: int | None = GUILD_ID,
    channel_id: int = CHANNEL_ID,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An INTERACTION_CREATE as the gateway delivers it (type 2: application command, 3: component)."""
    payload: dict[str, Any] = {
        "id": str(snowflake()), "application_id": str(APPLICATION_ID), "type": kind, "data": data,
        "token": f"interaction-token-{snowflake()}", "version": 1, "locale": "en-US", "app_permissions": "2248473465835073",
        "attachment_size_limit": 10485760, "entitlements": [], "authorizing_integration_owners": {"0": str(GUILD_ID)},
        "context": 0,
        "channel": {"id": str(channel_id), "type": 0, "name": "fast-mode", "guild_id": str(guild_id), "position": 3,
                    "permission_overwrites": [], "nsfw": False, "parent_id": None},
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
        payload["guild"] = {"id": str(guild_id), "locale": "en-US", "features": []}
        payload["guild_locale"] = "en-US"
        payload["member"] = member.payload()
    else:
        payload["user"] = user_payload(member.user_id, member.name)
    if message is not None:
        payload["message"] = message
    return payload


def fastmode(sub: str, guild_id: int | None = GUILD_ID, **options: Any) -> dict[str, Any]:
    """`data` of a `/fastmode <sub> option:value` application command."""
    data: dict[str, Any] = {
        "id": str(COMMAND_ID), "name": "fastmode", "type": 1,
        "options": [{"name": sub, "type": 1, "options": [
            {"name": name, "type": 3, "value": value} for name, value in options.items()
        ]}],
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return data


@dataclass
class Call:
    method: str
    path: str
    payload: dict[str, Any] | None


@dataclass
class Recorder(AsyncWebhookAdapter):
    """Stand-in for discord.py's webhook adapter: records every interaction response and answers like Discord."""

    calls: list[Call] = field(default_factory=list)
    original: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()

    async def request(self, route: Any, session: Any, *, payload: dict[str, Any] | None = None,
                      multipart: list[dict[str, Any]] | None = None, **kwargs: Any) -> Any:
        if multipart:
            payload = json.loads(next(p["value"] for p in multipart if p["name"] == "payload_json"))
        path = route.url.removeprefix(route.BASE)
        self.calls.append(Call(route.method, path, payload))
        if path.endswith("/callback"):
            return self._callback(payload or {})
        if path.endswith("/messages/@original"):
            if route.method == "PATCH":
                self.original.update({k: v for k, v in (payload or {}).items() if k != "allowed_mentions"})
            return message_payload(message_id=int(self.original.get("id", snowflake())), channel_id=CHANNEL_ID,
                                   author=user_payload(APPLICATION_ID, "Pitwall", bot=True),
                                   content=self.original.get("content") or "", embeds=self.original.get("embeds"),
                                   flags=self.original.get("flags", 0))
        return message_payload(message_id=snowflake(), channel_id=CHANNEL_ID,
                               author=user_payload(APPLICATION_ID, "Pitwall", bot=True),
                               content=(payload or {}).get("content") or "")

    def _callback(self, body: dict[str, Any]) -> dict[str, Any]:
        kind, data = body["type"], body.get("data") or {}
        message_id = str(snowflake())
        if kind in (4, 5):  # a new message: the answer, or the "thinking" placeholder
            self.original = {"id": message_id, "type": kind, "flags": data.get("flags", 0),
                             "content": data.get("content"), "embeds": data.get("embeds", []),
                             "components": data.get("components", [])}
        elif kind == 7:  # the component's own message updated at once
            self.original.update({k: v for k, v in data.items() if k != "allowed_mentions"})
        result: dict[str, Any] = {"interaction": {"id": "0", "type": 2, "response_message_id": message_id,
                                                  "response_message_loading": kind == 5,
                                                  "response_message_ephemeral": bool(data.get("flags", 0) & 64)}}
        if kind in (4, 5):
            result["resource"] = {"type": kind, "message": message_payload(
                message_id=int(message_id), channel_id=CHANNEL_ID,
                author=user_payload(APPLICATION_ID, "Pitwall", bot=True), content=data.get("content") or "",
                flags=data.get("flags", 0))}
        return result

    # --- what the member sees -----------------------------------------------------------------------------

    @property
    def responses(self) -> list[dict[str, Any]]:
        return [c.payload or {} for c in self.calls if c.path.endswith("/callback")]

    @property
    def response_types(self) -> list[int]:
        return [r["type"] for r in self.responses]

    @property
    def ephemeral(self) -> bool:
        return bool(self.original.get("flags", 0) & 64)

    @property
    def text(self) -> str:
        return self.original.get("content") or ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.original.get("embeds") or []

    def embed_text(self) -> str:
        parts = []
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
        return "\n".join(parts)


class Harness:
    """One bot, one recorder; `run(payload)` dispatches like the gateway and waits for discord.py's tasks."""

    def __init__(self) -> None:
        self.bot = PitwallBot()
        self.recorder = Recorder()
        self.fail_channel_posts = False
        self.channel_posts: list[Call] = []

    async def start(self) -> None:
        await self.bot._async_setup_hook()  # binds the client to this event loop, as login() would
        # ... and what login() learns: who the bot is.
        state = self.bot._connection
        me: Any = {**user_payload(APPLICATION_ID, "Pitwall", bot=True), "mfa_enabled": False, "verified": True,
                   "flags": 0}
        state.user = ClientUser(state=state, data=me)
        state.application_id = APPLICATION_ID
        await self.bot.setup_hook()
        async_context.set(self.recorder)
        self.bot.http.request = self._rest  # type: ignore[method-assign]

    async def _rest(self, route: Any, **kwargs: Any) -> Any:
        payload = kwargs.get("json")
        call = Call(route.method, route.url.removeprefix(route.BASE), payload)
        self.channel_posts.append(call)
        if self.fail_channel_posts:
            response: Any = _FakeResponse(403)
            raise discord.Forbidden(response, {"message": "Missing Permissions", "code": 50013})
        channel_id = int(call.path.split("/")[2])
        return message_payload(message_id=snowflake(), channel_id=channel_id,
                               author=user_payload(APPLICATION_ID, "Pitwall", bot=True),
                               content=(payload or {}).get("content") or "", embeds=(payload or {}).get("embeds"))

    async def run(self, payload: dict[str, Any]) -> Recorder:
        """Dispatch one interaction; the returned recorder holds what discord.py sent for it."""
        self.recorder = Recorder()
        if "message" in payload:  # a component's "original" is the message it sits on
            message = payload["message"]
            self.recorder.original = {key: message.get(key) for key in ("id", "flags", "content", "embeds",
                                                                        "components")}
        async_context.set(self.recorder)
        before = asyncio.all_tasks()
        self.bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        started = [
            task for task in asyncio.all_tasks() - before
            if task.get_name().startswith(("CommandTree-invoker", "discord-ui-dynamic-item"))
        ]
        await asyncio.gather(*started)
        return self.recorder


class _FakeResponse:
    def __init__(self, status: int) -> None:
        self.status = status
        self.reason = "Forbidden"


def component_payload(*, member: Member, custom_id: str, shown: Recorder) -> dict[str, Any]:
    """A button press on the message `shown` holds (the ephemeral consent message)."""
    message = message_payload(
        message_id=int(shown.original["id"]), channel_id=CHANNEL_ID,
        author=user_payload(APPLICATION_ID, "Pitwall", bot=True), content=shown.text,
        components=shown.original.get("components"), flags=64,
    )
    return interaction_payload(member=member, kind=3, message=message,
                               data={"custom_id": custom_id, "component_type": 2})

"""When the shim must not collect or send anything: no consent, DO_NOT_TRACK, or a CI environment."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

# Set by the usual CI services (and by the generic convention `CI=true`).
CI_VARS = (
    "CI",
    "CONTINUOUS_INTEGRATION",
    "BUILD_NUMBER",
    "RUN_ID",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "TRAVIS",
    "CIRCLECI",
    "JENKINS_URL",
    "TEAMCITY_VERSION",
    "BUILDKITE",
    "TF_BUILD",
    "APPVEYOR",
    "DRONE",
    "CODEBUILD_BUILD_ID",
    "BITBUCKET_BUILD_NUMBER",
    "SEMAPHORE",
    "CIRRUS_CI",
    "WOODPECKER",
    "HEROKU_TEST_RUN_ID",
    "BUDDY",
    "NETLIFY",
    "VERCEL",
    "RENDER",
)
_FALSE = ("", "0", "false", "no", "off")


def ci_detected(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return any(env.get(name, "").strip().lower() not in _FALSE for name in CI_VARS)


def do_not_track(env: Mapping[str, str] | None = None) -> bool:
    """DO_NOT_TRACK (consoledonottrack.com): any value but an explicit 0/false counts as set."""
    env = os.environ if env is None else env
    return "DO_NOT_TRACK" in env and env["DO_NOT_TRACK"].strip().lower() not in _FALSE[1:]


def telemetry_debug(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("LEPTOS_FAST_TELEMETRY_DEBUG", "").strip().lower() not in _FALSE


def blocked_reason(env: Mapping[str, str] | None = None) -> str | None:
    """Why nothing may be collected or sent right now, whatever the stored consent says."""
    if do_not_track(env):
        return "DO_NOT_TRACK is set"
    if ci_detected(env):
        return "a CI environment was detected"
    return None

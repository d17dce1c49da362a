"""Strict Semantic Versioning 2.0.0: parsing and precedence (build metadata is ignored)."""

import re
from dataclasses import dataclass
from functools import lru_cache

# The regular expression published with SemVer 2.0.0 (no leading "v", no leading zeros).
_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?",
    re.ASCII,
)

# A prerelease identifier sorts numerically when numeric, and after every numeric one otherwise.
_Identifier = tuple[int, int, str]


@dataclass(frozen=True, slots=True, order=True)
class Version:
    """A version's precedence key: compare Versions with ==, <, > for SemVer precedence."""

    major: int
    minor: int
    patch: int
    # (1,) for a release; (0, identifiers...) for a prerelease, so a release outranks its prereleases.
    prerelease: tuple[int, tuple[_Identifier, ...]]


@lru_cache(maxsize=4096)
def parse_semver(text: str) -> Version | None:
    """The Version for `text`, or None when it is not a strict SemVer 2.0.0 version."""
    match = _SEMVER.fullmatch(text)
    if match is None:
        return None
    major, minor, patch, prerelease, _build = match.groups()
    if prerelease is None:
        rank: tuple[int, tuple[_Identifier, ...]] = (1, ())
    else:
        rank = (0, tuple(_identifier(part) for part in prerelease.split(".")))
    return Version(int(major), int(minor), int(patch), rank)


def _identifier(part: str) -> _Identifier:
    if part.isdigit():
        return (0, int(part), "")
    return (1, 0, part)

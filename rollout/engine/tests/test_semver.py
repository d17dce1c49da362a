"""SEMVER_* operators: strict SemVer 2.0.0, prerelease precedence, invalid versions never match."""

import pytest

from rollout.engine import EngineValidationError, validate_constraints
from rollout.engine.semver import parse_semver

from .flags import constraint, one_constraint


def semver_matches(operator: str, value: str, version: object, *, inverted: bool = False) -> bool:
    snapshot = one_constraint(constraint("version", operator, value=value, inverted=inverted))
    return snapshot.is_enabled("f", {"properties": {"version": version}})


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-alpha.beta", "1.0.0-beta"),
        ("1.0.0-beta", "1.0.0-beta.2"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),  # numeric identifiers compare as numbers
        ("1.0.0-beta.11", "1.0.0-rc.1"),
        ("1.0.0-rc.1", "1.0.0"),
        ("1.0.0", "1.0.1"),
        ("1.9.9", "1.10.0"),
        ("1.0.0-1", "1.0.0-a"),  # numeric identifiers sort before alphanumeric ones
        ("1.0.0-Z", "1.0.0-a"),  # ASCII order
    ],
)
def test_semver__precedence__follows_semver_2(lower: str, higher: str) -> None:
    assert semver_matches("SEMVER_LT", higher, lower) is True
    assert semver_matches("SEMVER_GT", lower, higher) is True
    assert semver_matches("SEMVER_LTE", higher, lower) is True
    assert semver_matches("SEMVER_GTE", lower, higher) is True
    assert semver_matches("SEMVER_EQ", higher, lower) is False
    assert semver_matches("SEMVER_GT", higher, lower) is False


def test_semver__build_metadata__is_ignored_for_precedence() -> None:
    assert semver_matches("SEMVER_EQ", "1.2.3+build.1", "1.2.3+build.2") is True
    assert semver_matches("SEMVER_GTE", "1.2.3", "1.2.3+anything") is True


@pytest.mark.parametrize(
    "version",
    [
        "v1.2.3",
        "1.2",
        "1.2.3.4",
        "01.2.3",
        "1.02.3",
        "1.2.3-01",
        "1.2.3-",
        "1.2.3+",
        " 1.2.3",
        "1.2.3-a..b",
        "",
        "x",
    ],
)
def test_semver__invalid_context_version__never_matches(version: str) -> None:
    assert parse_semver(version) is None
    for operator in ("SEMVER_EQ", "SEMVER_LT", "SEMVER_GT", "SEMVER_LTE", "SEMVER_GTE"):
        assert semver_matches(operator, "1.2.3", version) is False


def test_semver__invalid_constraint_version__never_matches_and_fails_validation() -> None:
    assert semver_matches("SEMVER_LT", "v2.0.0", "1.0.0") is False
    with pytest.raises(EngineValidationError, match=r"not a SemVer 2\.0 version"):
        validate_constraints([constraint("version", "SEMVER_LT", value="v2.0.0")])


def test_semver__inverted__negates() -> None:
    assert semver_matches("SEMVER_LT", "2.0.0", "1.0.0", inverted=True) is False
    assert semver_matches("SEMVER_LT", "2.0.0", "3.0.0", inverted=True) is True


def test_semver__prerelease_identifiers_with_hyphens_and_zero__parse() -> None:
    assert parse_semver("1.0.0-0.3.7") is not None
    assert parse_semver("1.0.0-x-y-z.--") is not None
    assert parse_semver("1.0.0-alpha+001") == parse_semver("1.0.0-alpha")

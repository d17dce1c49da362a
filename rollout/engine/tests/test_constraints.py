"""Constraint operators: inverted, caseInsensitive, context lookup, value parsing."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from rollout.engine import OPERATORS

from .flags import constraint, one_constraint


def holds(rule: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    return one_constraint(rule).is_enabled("f", context)


def test_operators__are_the_19_of_the_specification() -> None:
    assert len(OPERATORS) == len(set(OPERATORS)) == 19
    assert {"IN", "NOT_IN", "REGEX", "IN_CIDR", "SEMVER_GTE", "SEMVER_LTE", "DATE_AFTER"} <= set(OPERATORS)


@pytest.mark.parametrize(
    ("operator", "values", "text", "expected"),
    [
        ("IN", ["beta", "preview"], "beta", True),
        ("IN", ["beta", "preview"], "general", False),
        ("NOT_IN", ["beta"], "general", True),
        ("NOT_IN", ["beta"], "beta", False),
        ("STR_CONTAINS", ["fast"], "cargo-fast-mode", True),
        ("STR_STARTS_WITH", ["cargo", "leptos"], "leptos-dev", True),
        ("STR_ENDS_WITH", ["-dev"], "leptos-dev", True),
        ("STR_ENDS_WITH", ["-dev"], "leptos-DEV", False),
    ],
)
def test_list_operators__plain_and_inverted(
    operator: str, values: list[str], text: str, expected: bool
) -> None:
    context = {"properties": {"x": text}}

    assert holds(constraint("x", operator, values), context) is expected
    assert holds(constraint("x", operator, values, inverted=True), context) is (not expected)


@pytest.mark.parametrize("operator", ["STR_CONTAINS", "STR_STARTS_WITH", "STR_ENDS_WITH"])
def test_string_operators__case_insensitive__ignores_case_of_both_sides(operator: str) -> None:
    rule = constraint("x", operator, ["LeptoS"], case_insensitive=True)

    assert holds(rule, {"properties": {"x": "lEPTOs"}}) is True
    assert holds(constraint("x", operator, ["LeptoS"]), {"properties": {"x": "lEPTOs"}}) is False


def test_string_operators__case_insensitive_and_inverted__combine() -> None:
    rule = constraint("x", "STR_CONTAINS", ["FAST"], case_insensitive=True, inverted=True)

    assert holds(rule, {"x": "fast-mode"}) is False
    assert holds(rule, {"x": "slow-mode"}) is True


def test_in__is_case_sensitive_like_unleash_sdks() -> None:
    assert holds(constraint("x", "IN", ["Beta"], case_insensitive=True), {"x": "beta"}) is False


def test_string_operators__empty_values__are_ignored() -> None:
    # An empty string would otherwise be "contained" in every value.
    assert holds(constraint("x", "STR_CONTAINS", [""]), {"x": "anything"}) is False


@pytest.mark.parametrize(
    "operator", ["IN", "STR_CONTAINS", "STR_STARTS_WITH", "NUM_EQ", "SEMVER_EQ", "IN_CIDR"]
)
def test_missing_context_value__does_not_match__and_inverted_matches(operator: str) -> None:
    rule = {"contextName": "missing", "operator": operator, "values": ["1"], "value": "1"}

    assert holds(rule, {}) is False
    assert holds({**rule, "inverted": True}, {}) is True


@pytest.mark.parametrize(("inverted"), [False, True])
def test_unknown_operator__never_matches(inverted: bool) -> None:
    rule = {"contextName": "x", "operator": "NOT_AN_OPERATOR", "values": ["a"], "inverted": inverted}

    assert holds(rule, {"x": "a"}) is False


@pytest.mark.parametrize(
    ("operator", "number", "expected"),
    [
        ("NUM_EQ", "12", True),
        ("NUM_EQ", "12.0", True),
        ("NUM_GT", "12.5", True),
        ("NUM_GTE", "12", True),
        ("NUM_LT", "-3", True),
        ("NUM_LTE", "1e1", True),
        ("NUM_LT", "13", False),
        ("NUM_EQ", "", False),
        ("NUM_EQ", " 12", False),
        ("NUM_EQ", "1_2", False),
        ("NUM_EQ", "twelve", False),
    ],
)
def test_number_operators(operator: str, number: str, expected: bool) -> None:
    assert holds(constraint("n", operator, value="12"), {"properties": {"n": number}}) is expected


def test_number_operators__numeric_context_values() -> None:
    assert holds(constraint("n", "NUM_GT", value="10"), {"n": 11}) is True
    assert holds(constraint("n", "NUM_EQ", value="1.5"), {"n": 1.5}) is True
    assert holds(constraint("n", "NUM_EQ", value="1"), {"n": True}) is False


def test_number_operators__invalid_constraint_value__never_matches() -> None:
    assert holds(constraint("n", "NUM_EQ", value="abc"), {"n": "1"}) is False


def test_date_operators__strings_datetimes_and_offsets() -> None:
    after = constraint("currentTime", "DATE_AFTER", value="2024-05-01T12:00:00.000Z")
    before = constraint("currentTime", "DATE_BEFORE", value="2024-05-01T12:00:00+02:00")

    assert holds(after, {"currentTime": "2024-05-01T12:00:01Z"}) is True
    assert holds(after, {"currentTime": "2024-05-01T12:00:00Z"}) is False  # exclusive
    assert holds(after, {"currentTime": datetime(2024, 5, 2, tzinfo=UTC)}) is True
    # 2024-05-02T00:00+14:00 is 2024-05-01T10:00Z: still before
    assert holds(after, {"currentTime": datetime(2024, 5, 2, tzinfo=timezone(timedelta(hours=14)))}) is False
    assert holds(before, {"currentTime": "2024-05-01T09:59:59Z"}) is True
    assert holds(before, {"currentTime": "2024-05-01T10:00:00Z"}) is False
    assert holds(after, {"currentTime": "not a date"}) is False


def test_date_operators__missing_current_time__uses_now() -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()

    assert holds(constraint("currentTime", "DATE_AFTER", value=past), {}) is True
    assert holds(constraint("currentTime", "DATE_BEFORE", value=future), {}) is True
    assert holds(constraint("currentTime", "DATE_BEFORE", value=past), {}) is False


def test_context_lookup__standard_fields_properties_and_top_level_custom_fields() -> None:
    rule = constraint("ring", "IN", ["beta"])

    assert holds(rule, {"properties": {"ring": "beta"}}) is True
    assert holds(rule, {"ring": "beta"}) is True  # OpenFeature-style context
    assert holds(rule, {"ring": None, "properties": {"ring": "beta"}}) is True
    assert holds(constraint("environment", "IN", ["production"]), {"environment": "production"}) is True
    assert holds(constraint("appName", "STR_STARTS_WITH", ["leptos"]), {"appName": "leptos-shim"}) is True


def test_context_lookup__non_string_values__compare_as_json_text() -> None:
    assert holds(constraint("optedIn", "IN", ["true"]), {"optedIn": True}) is True
    assert holds(constraint("cores", "IN", ["8"]), {"properties": {"cores": 8}}) is True
    assert holds(constraint("nested", "IN", ["{}"]), {"nested": {}}) is False

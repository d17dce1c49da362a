"""validate_strategy / validate_constraints: what the admin refuses before saving."""

import pytest

from rollout.engine import EngineValidationError, validate_constraints, validate_strategy

from .flags import constraint, flexible, strategy


@pytest.mark.parametrize(
    "valid",
    [
        strategy(),
        flexible(25, stickiness="installationId"),
        strategy("userWithId", {"userIds": "a, b"}),
        strategy("gradualRolloutRandom", {"percentage": "10"}),
        strategy("remoteAddress", {"IPs": "10.0.0.0/8, ::1"}),
        strategy("applicationHostname", {"hostNames": "ci-1"}),
        strategy(
            constraints=[
                constraint("ring", "IN", ["beta"]),
                constraint("version", "SEMVER_GTE", value="1.0.0-rc.1"),
                constraint("currentTime", "DATE_AFTER", value="2025-01-01T00:00:00Z"),
                constraint("cores", "NUM_GT", value="4"),
                constraint("email", "REGEX", value="(?i)@leptos\\.dev$"),
                constraint("ip", "IN_CIDR", ["10.0.0.0/8"]),
            ],
            segments=[1],
            variants=[
                {"name": "a", "weight": 500, "payload": {"type": "json", "value": '{"env": {}}'}},
                {"name": "b", "weight": 500, "stickiness": "userId"},
            ],
        ),
    ],
)
def test_validate_strategy__valid__passes(valid: dict[str, object]) -> None:
    validate_strategy(valid)


@pytest.mark.parametrize(
    ("invalid", "message"),
    [
        ("default", "strategy: expected an object"),
        ({"parameters": {}}, r"strategy\.name: expected a string"),
        (strategy("myStrategy"), "unknown strategy 'myStrategy'"),
        (
            strategy("flexibleRollout", {"stickiness": "default"}),
            r"parameters\.rollout: required by flexibleRollout",
        ),
        (flexible(101), "expected a number from 0 to 100"),
        (strategy("flexibleRollout", {"rollout": "half"}), "expected a number from 0 to 100"),
        (strategy("gradualRolloutUserId", {"percentage": "-1"}), "expected a number from 0 to 100"),
        (strategy("userWithId", {}), r"parameters\.userIds: required"),
        (strategy("default", {"x": ["list"]}), r"parameters\.x: expected a string"),
        (
            strategy(constraints=[constraint("x", "LIKE", ["a"])]),
            r"constraints\[0\]\.operator: unknown operator 'LIKE'",
        ),
        (strategy(segments=["one"]), r"segments\[0\]: expected a segment id"),
        (strategy(variants=[{"name": "a", "weight": 0}]), "weights must add up to more than 0"),
        (
            strategy(variants=[{"name": "a", "weight": 1}, {"name": "a", "weight": 1}]),
            "duplicate variant name 'a'",
        ),
        (
            strategy(variants=[{"name": "a", "weight": 1, "payload": {"type": "yaml", "value": "x"}}]),
            "'yaml' is not one of",
        ),
        (
            strategy(variants=[{"name": "a", "weight": 1, "payload": {"type": "json", "value": "{"}}]),
            "not valid JSON",
        ),
        (
            strategy(variants=[{"name": "a", "weight": 1, "payload": {"type": "number", "value": "x"}}]),
            "not a number",
        ),
    ],
)
def test_validate_strategy__invalid__raises_clear_error(invalid: object, message: str) -> None:
    with pytest.raises(EngineValidationError, match=message):
        validate_strategy(invalid)  # type: ignore[arg-type]


def test_validate_strategy__segment_ids__checks_existence() -> None:
    validate_strategy(strategy(segments=[1, 2]), segment_ids={1, 2, 3})
    with pytest.raises(EngineValidationError, match="segment 9 does not exist"):
        validate_strategy(strategy(segments=[1, 9]), segment_ids={1, 2, 3})


@pytest.mark.parametrize(
    ("constraints", "message"),
    [
        ("IN", "constraints: expected a list"),
        ([["IN"]], r"constraints\[0\]: expected an object"),
        ([{"operator": "IN", "values": []}], r"constraints\[0\]\.contextName: expected a string"),
        ([{"contextName": "", "operator": "IN", "values": []}], r"contextName: must not be empty"),
        ([constraint("x", "NOPE", ["a"])], "unknown operator 'NOPE' .expected one of IN, NOT_IN"),
        ([constraint("x", "IN")], r"values: IN needs a list of strings"),
        ([{"contextName": "x", "operator": "IN", "values": "a,b"}], r"values: expected a list"),
        (
            [{"contextName": "x", "operator": "IN", "values": [1, 2]}],
            r"values\[0\]: expected a list of strings",
        ),
        ([constraint("x", "NUM_GT")], r"value: NUM_GT needs a value"),
        ([constraint("x", "NUM_GT", value="ten")], "'ten' is not a number"),
        ([constraint("x", "DATE_AFTER", value="tomorrow")], "not an ISO 8601 date-time"),
        ([constraint("x", "SEMVER_EQ", value="1.0")], "not a SemVer 2.0 version"),
        ([constraint("x", "REGEX", value="(?<=a)b")], "look-around is not supported"),
        ([constraint("x", "REGEX", value="(a")], "unclosed group"),
        ([constraint("x", "IN_CIDR", ["10.0.0.0/8", "nope"])], r"values\[1\]: 'nope' is not an IP"),
        (
            [{"contextName": "x", "operator": "IN", "values": [], "inverted": "yes"}],
            r"inverted: expected true or false",
        ),
        ([{"contextName": "x", "operator": "IN", "values": [], "caseInsensitive": 1}], "caseInsensitive"),
        ([constraint("ok", "IN", ["a"]), constraint("x", "NOPE", ["a"])], r"constraints\[1\]\.operator"),
    ],
)
def test_validate_constraints__invalid__raises_clear_error(constraints: object, message: str) -> None:
    with pytest.raises(EngineValidationError, match=message):
        validate_constraints(constraints)  # type: ignore[arg-type]


def test_validate_constraints__empty_and_valid_lists__pass() -> None:
    validate_constraints([])
    validate_constraints(
        [constraint("x", "NOT_IN", []), constraint("x", "STR_CONTAINS", ["a"], case_insensitive=True)]
    )

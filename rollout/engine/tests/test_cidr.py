"""IN_CIDR operator and the remoteAddress strategy: IPv4, IPv6, invalid entries."""

import pytest

from rollout.engine import EngineValidationError, validate_constraints, validate_strategy

from .flags import constraint, feature, one_constraint, snapshot, strategy


def cidr_matches(values: list[str], address: object, *, inverted: bool = False) -> bool:
    snap = one_constraint(constraint("remoteAddress", "IN_CIDR", values, inverted=inverted))
    return snap.is_enabled("f", {"remoteAddress": address})


@pytest.mark.parametrize(
    ("values", "address", "expected"),
    [
        (["10.0.0.0/8"], "10.20.30.40", True),
        (["10.0.0.0/8"], "11.0.0.1", False),
        (["192.168.1.7"], "192.168.1.7", True),  # a bare address is a /32
        (["192.168.1.7"], "192.168.1.8", False),
        (["10.1.2.3/8"], "10.200.0.1", True),  # host bits are ignored
        (["0.0.0.0/0"], "203.0.113.9", True),
        (["2001:db8::/32"], "2001:db8:1::42", True),
        (["2001:db8::/32"], "2001:db9::1", False),
        (["::1"], "::1", True),
        (["2001:DB8::/32"], "2001:db8::1", True),
        (["10.0.0.0/8", "2001:db8::/32"], "2001:db8::1", True),
        (["::/0"], "10.0.0.1", False),  # an IPv4 address is not in an IPv6 range
        (["0.0.0.0/0"], "::1", False),
    ],
)
def test_in_cidr__address_in_ranges(values: list[str], address: str, expected: bool) -> None:
    assert cidr_matches(values, address) is expected


def test_in_cidr__invalid_entries__are_ignored() -> None:
    values = ["not-an-ip", "10.0.0.0/33", "300.1.1.1", "", "192.168.0.0/16"]

    assert cidr_matches(values, "192.168.4.4") is True
    assert cidr_matches(values, "10.0.0.1") is False


@pytest.mark.parametrize("address", [None, "", "localhost", "10.0.0", "10.0.0.1/8", 42])
def test_in_cidr__invalid_or_missing_address__never_matches(address: object) -> None:
    assert cidr_matches(["0.0.0.0/0", "::/0"], address) is False


def test_in_cidr__custom_field_and_inverted() -> None:
    snap = one_constraint(constraint("clientIp", "IN_CIDR", ["10.0.0.0/8"], inverted=True))

    assert snap.is_enabled("f", {"properties": {"clientIp": "10.1.1.1"}}) is False
    assert snap.is_enabled("f", {"clientIp": "192.0.2.1"}) is True


def test_in_cidr__validation__refuses_invalid_entries() -> None:
    validate_constraints([constraint("remoteAddress", "IN_CIDR", ["10.0.0.0/8", "::1"])])
    with pytest.raises(EngineValidationError, match=r"values\[1\].*not an IP address or CIDR"):
        validate_constraints([constraint("remoteAddress", "IN_CIDR", ["10.0.0.0/8", "10.0.0.0/40"])])


def test_remote_address_strategy__ips_and_cidrs() -> None:
    snap = snapshot(
        feature("f", strategy("remoteAddress", {"IPs": "127.0.0.1, 10.0.0.0/8, bad, 2001:db8::/32"}))
    )

    assert snap.is_enabled("f", {"remoteAddress": "127.0.0.1"}) is True
    assert snap.is_enabled("f", {"remoteAddress": "10.9.9.9"}) is True
    assert snap.is_enabled("f", {"remoteAddress": "2001:db8::5"}) is True
    assert snap.is_enabled("f", {"remoteAddress": "192.0.2.1"}) is False
    assert snap.is_enabled("f", {}) is False


def test_remote_address_strategy__validation__refuses_invalid_entries() -> None:
    with pytest.raises(EngineValidationError, match="'bad' is not an IP address"):
        validate_strategy(strategy("remoteAddress", {"IPs": "127.0.0.1, bad"}))

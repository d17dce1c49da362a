"""Properties of percentage rollouts."""

from hypothesis import given, settings
from hypothesis import strategies as st

from .flags import feature, flexible, snapshot

identifiers = st.text(min_size=1, max_size=24)


# An empty groupId means "the feature's name" (two different features here), so groupIds are non-empty.
@settings(max_examples=300, deadline=None)
@given(
    group_id=st.text(min_size=1, max_size=16),
    low=st.integers(min_value=0, max_value=100),
    high=st.integers(min_value=0, max_value=100),
    user_ids=st.lists(identifiers, min_size=1, max_size=40),
    stickiness=st.sampled_from(["default", "userId", "installationId"]),
)
def test_flexible_rollout__raising_the_percentage__only_adds_contexts(
    group_id: str, low: int, high: int, user_ids: list[str], stickiness: str
) -> None:
    low, high = min(low, high), max(low, high)
    snap = snapshot(
        feature("low", flexible(low, group_id=group_id, stickiness=stickiness)),
        feature("high", flexible(high, group_id=group_id, stickiness=stickiness)),
    )
    for user_id in user_ids:
        context = {"userId": user_id, "installationId": user_id}
        if snap.is_enabled("low", context):
            assert snap.is_enabled("high", context)


@settings(max_examples=100, deadline=None)
@given(group_id=st.text(max_size=16), user_id=identifiers, rollout=st.integers(min_value=0, max_value=100))
def test_flexible_rollout__same_context__same_answer(group_id: str, user_id: str, rollout: int) -> None:
    snap = snapshot(feature("f", flexible(rollout, group_id=group_id)))

    assert len({snap.is_enabled("f", {"userId": user_id}) for _ in range(3)}) == 1

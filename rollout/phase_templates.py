"""Turn a phase's template (rings + percentage of everyone else) into Unleash strategies.

beta = `ring IN [beta]`; preview = `ring IN [beta, preview]` plus an optional percentage of the rest; GA = 100 %.
The percentage strategy buckets on the installation id with the feature's immutable salt as groupId, so raising
the percentage only ever adds installations.
"""

from typing import Any, TypedDict


class StrategySpec(TypedDict):
    name: str
    title: str
    parameters: dict[str, Any]
    constraints: list[dict[str, Any]]


RING_CONTEXT_FIELD = "ring"


def strategies_for_phase(*, rings: list[str], rollout_percentage: int, group_id: str) -> list[StrategySpec]:
    if rollout_percentage >= 100:
        return [
            {
                "name": "flexibleRollout",
                "title": "Everyone",
                "parameters": {"rollout": "100", "stickiness": "default", "groupId": group_id},
                "constraints": [],
            }
        ]
    specs: list[StrategySpec] = []
    if rings:
        specs.append(
            {
                "name": "flexibleRollout",
                "title": f"Rings: {', '.join(rings)}",
                "parameters": {"rollout": "100", "stickiness": "default", "groupId": group_id},
                "constraints": [
                    {
                        "contextName": RING_CONTEXT_FIELD,
                        "operator": "IN",
                        "values": list(rings),
                        "inverted": False,
                        "caseInsensitive": False,
                    }
                ],
            }
        )
    if rollout_percentage > 0:
        specs.append(
            {
                "name": "flexibleRollout",
                "title": f"{rollout_percentage} % of everyone else",
                "parameters": {
                    "rollout": str(rollout_percentage),
                    "stickiness": "default",
                    "groupId": group_id,
                },
                "constraints": [],
            }
        )
    return specs

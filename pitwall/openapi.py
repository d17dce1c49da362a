"""drf-spectacular postprocessing of the whole OpenAPI document: what it cannot infer from the views."""

from typing import Any


def _needs_a_body(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """An object with required properties, or one of several required sets, cannot be an absent body."""
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    alternatives = schema.get("anyOf") or schema.get("oneOf") or []
    return bool(schema.get("required")) or (bool(alternatives) and all(a.get("required") for a in alternatives))


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """- An optional query parameter sent empty (`?ring=`) is read as absent: DRF parses query strings with
      HTML-form semantics. Lists are the exception (`?topic=` is a list of one empty topic, refused).
    - A request body given as a plain schema (not a serializer) is marked required when its schema requires
      properties: drf-spectacular leaves such bodies optional, and the view then refuses the missing body."""
    components = result.get("components", {}).get("schemas", {})
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if (
                    parameter.get("in") == "query"
                    and not parameter.get("required")
                    and parameter.get("schema", {}).get("type") != "array"
                ):
                    parameter["allowEmptyValue"] = True
            body = operation.get("requestBody")
            if body and any(_needs_a_body(media.get("schema", {}), components)
                            for media in body.get("content", {}).values()):
                body["required"] = True
    return result

"""The base of every API input serializer that reads a JSON body: each field takes only its own JSON type.

DRF converts on the way in: a CharField takes 0 as "0", a BooleanField takes "yes" and 1, an IntegerField takes
"5" and 5.0, a UUIDField takes an integer. The OpenAPI document promises JSON types, so a body that breaks them is
refused (400, with the field named) instead of being read as something the client may not have meant.
Query-string serializers do not use this: every query value is a string.
"""

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty

# First match wins: RegexField and ChoiceField are CharField / Field subclasses with the same wire type.
_JSON_TYPES: tuple[tuple[type[serializers.Field[Any, Any, Any, Any]], tuple[type, ...], str], ...] = (
    (serializers.BooleanField, (bool,), "a boolean"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.CharField, (str,), "a string"),
    (serializers.ChoiceField, (str,), "a string"),
    (serializers.UUIDField, (str,), "a string"),
    (serializers.DateTimeField, (str,), "a string"),
    (serializers.DateField, (str,), "a string"),
    (serializers.Serializer, (Mapping,), "an object"),
)


def _wire_type(field: serializers.Field[Any, Any, Any, Any]) -> tuple[tuple[type, ...], str] | None:
    for field_class, types, label in _JSON_TYPES:
        if isinstance(field, field_class):
            return types, label
    return None


def _has_type(value: object, types: tuple[type, ...]) -> bool:
    # bool is an int in Python, not in JSON.
    return isinstance(value, types) and (bool in types or not isinstance(value, bool))


class JsonInput(serializers.Serializer[Any]):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            errors: dict[str, list[str]] = {}
            for name, field in self.fields.items():
                value = data.get(name, empty)
                if field.read_only or value is empty or value is None:  # null: the field's allow_null decides
                    continue
                wire = _wire_type(field)
                if wire is not None and not _has_type(value, wire[0]):
                    errors[name] = [f"Must be {wire[1]}."]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

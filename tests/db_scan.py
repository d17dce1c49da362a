"""The whole database as a dump shows it: row counts of every model, and every cell of every table."""

from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.db import connection


def row_counts() -> dict[str, int]:
    """Rows in every table the project's models (and Django's) own: equal before and after = nothing written."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models(include_auto_created=True)}


def every_cell() -> Iterator[tuple[str, str, Any]]:
    """(table, column, value) for every cell of every table: the database as an attacker with a dump sees it."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - table names come from the database itself
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                yield from ((table, column, value) for column, value in zip(columns, row, strict=True))


def cells_containing(needle: str) -> list[str]:
    encoded = needle.encode()
    found = []
    for table, column, value in every_cell():
        if isinstance(value, memoryview | bytes | bytearray):
            hit = encoded in bytes(value)
        else:
            hit = value is not None and needle in str(value)
        if hit:
            found.append(f"{table}.{column}")
    return found

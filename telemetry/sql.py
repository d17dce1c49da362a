"""PostgreSQL statements sent with server-side binding (psycopg.Cursor) instead of Django's client-side one.

Django's psycopg cursor inlines every parameter into the SQL text: a 500-event batch as one json parameter would
be quoted into a ~0.5 MB literal by the client and lexed again by the server. Bound separately, it travels as is.
Database errors are still translated to Django's.
"""

from __future__ import annotations

from typing import Any

from django.db import connection


def pg_execute(sql: str, params: list[Any], *, fetch: bool = True, binary: bool = False) -> list[tuple[Any, ...]]:
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=binary)
        return list(cursor.fetchall()) if fetch else []

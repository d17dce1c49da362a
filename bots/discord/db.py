"""Database access from the bot's event loop: the same sync services the web uses, run in Django's sync thread.

`run_db` wraps a service call in `sync_to_async(thread_sensitive=True)`, so every ORM call of the bot runs in one
thread, with one connection, never on the event loop. A bot runs for weeks, but Django closes connections only at
the end of a request: before and after each call, connections that are broken or older than CONN_MAX_AGE are
closed (never one inside a transaction, e.g. a test's), so a database restart costs one failed command at most.
"""

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import connections

P = ParamSpec("P")
R = TypeVar("R")


def close_stale_connections() -> None:
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


def _call_with_fresh_connection(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    close_stale_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        close_stale_connections()


async def run_db(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    return await sync_to_async(_call_with_fresh_connection, thread_sensitive=True)(fn, *args, **kwargs)

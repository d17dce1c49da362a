"""The test database as another process (a Celery worker, gunicorn) reaches it: PostgreSQL only, since SQLite's
test database lives in this process's memory."""

from django.db import connection


def url_for_other_processes() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (f"postgres://{db.get('USER') or 'postgres'}{password}@{db.get('HOST') or '127.0.0.1'}:"
            f"{db.get('PORT') or 5432}/{db['NAME']}")

"""Celery application.

Without CELERY_BROKER_URL the settings make every task run eagerly in process (the embedded default), so the
service and the test suite need no broker; production sets a Redis URL and runs `celery -A pitwall worker`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pitwall.settings")

app = Celery("pitwall")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

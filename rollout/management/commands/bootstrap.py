"""`manage.py bootstrap`: define fast mode and, on a fresh local install, an admin login."""

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from rollout.bootstrap import bootstrap_fast_mode


class Command(BaseCommand):
    help = "Create the fast-mode feature with its three phases and settings variants (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--create-admin",
            action="store_true",
            help="Also create an 'admin' superuser with a random password when no superuser exists (DEBUG only).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        feature, created = bootstrap_fast_mode()
        phase = feature.current_phase.name if feature.current_phase else "none"
        verb = "Created" if created else "Found"
        self.stdout.write(
            f"{verb} feature '{feature.key}' (phase: {phase}, kill switch {'on' if feature.enabled else 'OFF'})."
        )
        if options["create_admin"]:
            self._create_admin()

    def _create_admin(self) -> None:
        user_model = get_user_model()
        if user_model.objects.filter(is_superuser=True).exists():
            self.stdout.write(
                "An admin login exists already (reset it with: python manage.py changepassword admin)."
            )
            return
        if not settings.DEBUG:
            self.stdout.write("Create an admin login with: python manage.py createsuperuser")
            return
        password = secrets.token_urlsafe(12)
        user_model.objects.create_superuser("admin", "admin@localhost", password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin login for http://127.0.0.1:8000/admin/ -> user: admin  password: {password}  "
                "(shown once; change it with: python manage.py changepassword admin)"
            )
        )

from django.apps import AppConfig


class RolloutConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rollout"

    def ready(self) -> None:
        from rollout import schema  # noqa: F401  registers the OpenAPI description of the token

"""Settings, read from the environment (django-environ); see .env.example and docs/operators/configuration.md.

The embedded default needs nothing: SQLite in var/, an in-process cache, Celery tasks run eagerly.
Production sets DATABASE_URL (PostgreSQL), CELERY_BROKER_URL and CACHE_URL (Redis) and SECRET_KEY.
"""

from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for local development)."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 - only ever used with DEBUG on

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rollout",
    "telemetry",
    "feedback",
    "reports",
    "bots",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, whose process_view reads form bodies: 413 / 415 before anything reads the body.
    "pitwall.middleware.RequestBodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "pitwall.urls"
WSGI_APPLICATION = "pitwall.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server, a worker and the tests share the file without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://pitwall")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "admin:login"

# Security: production defaults; DEBUG (local development) relaxes only what plain http needs.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1_048_576)

REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rollout.authentication.InstallationTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "pitwall.api_errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "installation_register": env.str("THROTTLE_INSTALLATION_REGISTER", default="30/hour"),
        "enrollment_create": env.str("THROTTLE_ENROLLMENT_CREATE", default="20/hour"),
        "installation_link": env.str("THROTTLE_INSTALLATION_LINK", default="30/hour"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "Pitwall API",
    "DESCRIPTION": "Cohorts, feature flags (OFREP), enrollment and telemetry for the cargo-leptos fast-mode rollout.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Our PATCH views validate the whole input (no partial serializers): the document must not drop `required`.
    "COMPONENT_SPLIT_PATCH": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "pitwall.openapi.postprocess",
    ],
    # Served from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: without a broker every task runs eagerly, in process, inside the caller's transaction hooks.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis gives a message taken but never acknowledged (an acks_late task whose worker was killed) to another worker
# only after this many seconds. Longer than any retry countdown (at most 300 s): a message waiting in a worker for
# its countdown is unacknowledged too, and would otherwise be handed out a second time.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, Any] = {
    "rollout-purge-expired-enrollment-codes": {
        "task": "rollout.purge_expired_enrollment_codes",
        "schedule": 6 * 60 * 60,
    },
}

# Rollout.
PITWALL_ENROLLMENT_CODE_TTL_HOURS = env.int("PITWALL_ENROLLMENT_CODE_TTL_HOURS", default=72)
PITWALL_CONSENT_VERSION = env.str("PITWALL_CONSENT_VERSION", default="1")
# How long a process trusts its cached flag version before re-reading it from the database, for deployments
# whose cache is not shared between processes (the shared Redis cache makes changes visible at once).
PITWALL_FLAGS_VERSION_MAX_AGE_SECONDS = env.float("PITWALL_FLAGS_VERSION_MAX_AGE_SECONDS", default=2.0)
# Seconds an authenticated installation is kept in the cache (changes are forgotten on commit).
PITWALL_AUTH_CACHE_SECONDS = env.int("PITWALL_AUTH_CACHE_SECONDS", default=60)
PITWALL_PUBLIC_URL = env.str("PITWALL_PUBLIC_URL", default="http://127.0.0.1:8000")

# --- Telemetry (telemetry app) -------------------------------------------------------------------------------
# The rollout feature the timings are about (rollups keep a `feature` column so later features fit).
TELEMETRY_FEATURE_KEY = env.str("TELEMETRY_FEATURE_KEY", default="fast-mode")
# Raw events older than this (by receive time) are pruned; the rollups stay.
TELEMETRY_RAW_RETENTION_DAYS = env.int("TELEMETRY_RAW_RETENTION_DAYS", default=180)
# An event whose own clock says it is older than this, or more than a day ahead, is refused (the shim keeps 14 days).
TELEMETRY_MAX_EVENT_AGE_DAYS = env.int("TELEMETRY_MAX_EVENT_AGE_DAYS", default=30)
# Cap on a batch body, before and after gzip decompression (the contract's 1 MiB).
TELEMETRY_MAX_BODY_BYTES = env.int("TELEMETRY_MAX_BODY_BYTES", default=1_048_576)
# Batch uploads per installation (DRF rate syntax); over it: 429 with Retry-After.
TELEMETRY_BATCH_RATE = env.str("THROTTLE_TELEMETRY_BATCH", default="120/min")
# Below this many events a figure is null with "insufficient_data": true.
TELEMETRY_MIN_SAMPLE = env.int("TELEMETRY_MIN_SAMPLE", default=30)
TELEMETRY_DEFAULT_WINDOW_DAYS = env.int("TELEMETRY_DEFAULT_WINDOW_DAYS", default=30)
# A newer tool version whose p50 is this much slower (and significantly so) is reported as a regression.
TELEMETRY_REGRESSION_THRESHOLD = env.float("TELEMETRY_REGRESSION_THRESHOLD", default=0.05)
CELERY_BEAT_SCHEDULE.update(
    {
        "telemetry-prune-raw-events": {"task": "telemetry.prune_raw_events", "schedule": 6 * 60 * 60},
        # The ingest queues this on commit; beat catches anything a lost message left pending.
        "telemetry-apply-pending-rollups": {"task": "telemetry.apply_pending_rollups", "schedule": 60},
    }
)

# --- Feedback (feedback app) ---------------------------------------------------------------------------------
# Public web form: submissions per client address per window; the address comes from X-Forwarded-For when
# Pitwall sits behind that many trusted proxies (0: REMOTE_ADDR). The form's token expires after this many hours.
PITWALL_FEEDBACK_WEB_RATE = env.str("PITWALL_FEEDBACK_WEB_RATE", default="10/hour")
PITWALL_FEEDBACK_TRUSTED_PROXIES = env.int("PITWALL_FEEDBACK_TRUSTED_PROXIES", default=0)
PITWALL_FEEDBACK_FORM_MAX_AGE_HOURS = env.int("PITWALL_FEEDBACK_FORM_MAX_AGE_HOURS", default=24)
# Shim submissions per installation.
PITWALL_FEEDBACK_SHIM_RATE = env.str("PITWALL_FEEDBACK_SHIM_RATE", default="30/hour")
# One name for the topic enum (fields "topic" and "topics" would otherwise name it twice in the schema).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {"FeedbackTopicEnum": "feedback.models.Topic"}
CELERY_BEAT_SCHEDULE.update(
    {
        # Scores what the on-commit task missed (broker down) and what an older scorer version scored.
        "feedback-score-pending": {"task": "feedback.score_pending", "schedule": 15 * 60},
    }
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Bots (bots app) -----------------------------------------------------------------------------------------
# Each bot is off until its credentials are set and says so (docs/bots.md). Ids are Discord snowflakes; 0 = unset.
DISCORD_TOKEN = env.str("DISCORD_TOKEN", default="")
DISCORD_GUILD_ID = env.int("DISCORD_GUILD_ID", default=0)
DISCORD_MAINTAINER_ROLE_ID = env.int("DISCORD_MAINTAINER_ROLE_ID", default=0)
DISCORD_REPORT_CHANNEL_ID = env.int("DISCORD_REPORT_CHANNEL_ID", default=0)
# Where `/fastmode feedback` posts its public copy (the message the stored item links to); 0: where it was used.
DISCORD_FEEDBACK_CHANNEL_ID = env.int("DISCORD_FEEDBACK_CHANNEL_ID", default=0)
GITHUB_WEBHOOK_SECRET = env.str("GITHUB_WEBHOOK_SECRET", default="")
GITHUB_REPOSITORY = env.str("GITHUB_REPOSITORY", default="")  # owner/name
GITHUB_FEEDBACK_LABEL = env.str("GITHUB_FEEDBACK_LABEL", default="fast-mode feedback")
GITHUB_DISCUSSION_CATEGORY = env.str("GITHUB_DISCUSSION_CATEGORY", default="")  # empty: discussions not taken
GITHUB_TRACKING_ISSUE = env.int("GITHUB_TRACKING_ISSUE", default=0)
GITHUB_TOKEN = env.str("GITHUB_TOKEN", default="")
GITHUB_APP_ID = env.str("GITHUB_APP_ID", default="")
GITHUB_APP_PRIVATE_KEY = env.str("GITHUB_APP_PRIVATE_KEY", default="")
GITHUB_APP_INSTALLATION_ID = env.int("GITHUB_APP_INSTALLATION_ID", default=0)
GITHUB_API_URL = env.str("GITHUB_API_URL", default="https://api.github.com")
# Webhook bodies above this are refused (413) before they are read; GitHub caps payloads at 25 MB, the events we
# take are a few kB, and the view reads the body into memory to check its signature.
PITWALL_GITHUB_WEBHOOK_MAX_BYTES = env.int("PITWALL_GITHUB_WEBHOOK_MAX_BYTES", default=5 * 1024 * 1024)
PITWALL_GITHUB_DELIVERY_RETENTION_DAYS = env.int("PITWALL_GITHUB_DELIVERY_RETENTION_DAYS", default=30)
# Backfill: how far back the first run looks; a rate-limit wait longer than this ends the run (the next beat run
# goes on from the same watermark); below this many remaining requests a run stops early.
PITWALL_GITHUB_BACKFILL_INITIAL_DAYS = env.int("PITWALL_GITHUB_BACKFILL_INITIAL_DAYS", default=30)
PITWALL_GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS = env.float(
    "PITWALL_GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS", default=120.0
)
PITWALL_GITHUB_MIN_REMAINING_REQUESTS = env.int("PITWALL_GITHUB_MIN_REMAINING_REQUESTS", default=100)
PITWALL_GITHUB_SECONDS_BETWEEN_REQUESTS = env.float("PITWALL_GITHUB_SECONDS_BETWEEN_REQUESTS", default=0.25)
CELERY_BEAT_SCHEDULE.update(
    {
        # Catches deliveries GitHub could not make (outage, our downtime): labelled issues and comments since.
        "bots-github-backfill": {"task": "bots.github_backfill", "schedule": 30 * 60},
        # Re-queues stored deliveries whose task was lost (broker down when they arrived).
        "bots-github-requeue-deliveries": {"task": "bots.requeue_github_deliveries", "schedule": 5 * 60},
        "bots-github-purge-deliveries": {"task": "bots.purge_github_deliveries", "schedule": 24 * 60 * 60},
        # Publishes the rollout report when it changed (tracking-issue comment edited in place, Discord post).
        "bots-publish-report": {"task": "bots.publish_report", "schedule": 6 * 60 * 60},
    }
)

# --- Reports (reports app) -----------------------------------------------------------------------------------
CELERY_BEAT_SCHEDULE.update(
    {
        "reports-daily-report": {"task": "reports.daily_report", "schedule": 24 * 60 * 60},
        "reports-auto-rollout-tick": {"task": "reports.auto_rollout_tick", "schedule": 60 * 60},
    }
)

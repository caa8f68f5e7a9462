"""Settings, read once from the environment (12-factor).

Variables: DATABASE_URL, REDIS_URL, SECRET_KEY, BASE_DOMAIN, SITE_URL, EMAIL_URL, DEBUG,
DEFAULT_FROM_EMAIL, MEDIA_ROOT, LOG_LEVEL. Unset DATABASE_URL / REDIS_URL fall
back to the embedded servers started by ``itsm.devservices``.
"""

import os
from pathlib import Path

import dj_database_url

from itsm import devservices
from itsm.env import env_bool, env_list, parse_email_url, site_url_setting

BASE_DIR = Path(__file__).resolve().parent.parent

_embedded = devservices.read_services()


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name) or _embedded.get(name) or default


DEBUG = env_bool("DEBUG", default=False)
TESTING = env_bool("ITSM_TESTING", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not TESTING:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-insecure-secret-key-only-for-debug-and-tests-0123456789abcdef"

# Tenants live at <slug>.<BASE_DOMAIN>; the MSP console at BASE_DOMAIN itself.
BASE_DOMAIN = os.environ.get("BASE_DOMAIN", "localhost")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}", "testserver", ".testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])
# Where people reach the MSP console: the scheme and port of every absolute link (mail, console),
# e.g. http://localhost:8000 in development; tenant links use <slug>.<BASE_DOMAIN> on it.
SITE_URL = site_url_setting(os.environ.get("SITE_URL", ""), base_domain=BASE_DOMAIN, debug=DEBUG)

SHARED_APPS = [
    "django_tenants",
    # The ground floor: no models; its templates and `{% load ui %}` serve every layout.
    "core",
    "tenants",
    "accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "sla.due",
    "approvals.due",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "accounts",
    "tickets",
    "incidents",
    "problems",
    "changes",
    "service_requests",
    "cmdb",
    "assets",
    "knowledge",
    "sla",
    "approvals",
    "fulfilment",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS] + [
    "demo",  # the top floor: `seed_demo` and the demo data; no models
]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "itsm.urls_public"
ROOT_URLCONF = "itsm.urls_tenant"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
DEFAULT_NOT_FOUND_TENANT_VIEW = "tenants.middleware.unknown_host"
# Set the search_path once per tenant switch on a connection, not before every query.
TENANT_LIMIT_SET_CALLS = True

AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    "itsm.middleware.RequestLogMiddleware",
    # Outside everything that may answer early (unknown host, suspended tenant, CSRF failure).
    "itsm.middleware.ContentSecurityPolicyMiddleware",
    "itsm.middleware.HealthCheckMiddleware",
    # Before the tenant lookup, the first thing that needs a database connection.
    "itsm.middleware.DatabaseSaturationMiddleware",
    # django-tenants' TenantMainMiddleware, with the host's tenant kept in the shared cache.
    "tenants.middleware.TenantResolutionMiddleware",
    "tenants.middleware.TenantStatusMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
]

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
                "tenants.context_processors.branding",
            ],
        },
    }
]

WSGI_APPLICATION = "itsm.wsgi.application"

_db = dj_database_url.parse(_env("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/itsm"))
_db["ENGINE"] = "django_tenants.postgresql_backend"
# A bounded connection pool per process (psycopg 3, Django >= 5.1): a web process never holds more
# than one connection per gunicorn thread, so no number of clients exhausts PostgreSQL; a request
# that waits DB_POOL_TIMEOUT seconds for a free connection gets a 503 (itsm.middleware), not a 500.
# DB_POOL=0 falls back to one persistent connection per thread (the in-process test suite).
DB_POOL = env_bool("DB_POOL", default=True)
if DB_POOL:
    _db["CONN_MAX_AGE"] = 0
    _db.setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DB_POOL_MIN_SIZE", "1")),
        "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", os.environ.get("WEB_THREADS", "4"))),
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
        # A connection idle this long is closed, so quiet processes hand connections back.
        "max_idle": 300,
    }
else:
    _db["CONN_MAX_AGE"] = 60
    _db["CONN_HEALTH_CHECKS"] = True
# Server-side binding and prepared statements: PostgreSQL spends most of a hot read's CPU
# planning it (a list page: ~4.5 ms planned each time, ~0.6 ms prepared). psycopg prepares a
# query text after DB_PREPARE_THRESHOLD executions on a connection (at most 100 per connection,
# least recently used dropped). Safe with django-tenants: PostgreSQL re-parses a prepared
# statement when search_path differs from the one it was prepared under, so a tenant's query
# never reads another schema (tests/ops/test_prepared_statements.py). Turn off
# (DB_SERVER_SIDE_BINDING=0) behind a transaction-mode pooler without prepared-statement
# support (PgBouncer < 1.21).
if env_bool("DB_SERVER_SIDE_BINDING", default=True):
    _db.setdefault("OPTIONS", {})["server_side_binding"] = True
    _db["OPTIONS"]["prepare_threshold"] = int(os.environ.get("DB_PREPARE_THRESHOLD", "5"))
DATABASES = {"default": _db}
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

REDIS_URL = _env("REDIS_URL", "redis://127.0.0.1:6379/0")
# Django's cache speaks redis-py URLs; Celery's broker speaks kombu URLs.
_cache_redis_url = REDIS_URL.replace("redis+socket://", "unix://", 1)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _cache_redis_url,
        # Every cache key carries the tenant schema (absolute tenant isolation).
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "itsm"),
    },
    # Rows read on every request (tenant by host, API token), kept by core.shared_cache: keys name
    # their schema themselves (the host lookup runs before there is a tenant), and a slow or absent
    # Redis must cost a request a fraction of a second, not hang it: the request reads the database.
    "shared": {
        # Django's backend, reusing its redis-py client (core.redis_cache says why).
        "BACKEND": "core.redis_cache.RedisCache",
        "LOCATION": _cache_redis_url,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "itsm") + "-shared",
        "OPTIONS": {
            "socket_connect_timeout": float(os.environ.get("SHARED_CACHE_TIMEOUT", "0.25")),
            "socket_timeout": float(os.environ.get("SHARED_CACHE_TIMEOUT", "0.25")),
        },
    },
}

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task taken by a worker that then dies (kill -9, OOM, power) stays "unacknowledged" in Redis until
# this many seconds pass, then any live worker puts it back on the queue. Kombu's default is an hour;
# ours is short so a killed worker's tasks run again within a minute. Every task is idempotent and
# far shorter than this (a task still running past it would be delivered a second time).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "30")),
    # Sweep for abandoned tasks every few seconds instead of every 100 s (interval x throttle).
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# One queue per installation; integration tests use their own so nothing else takes their tasks.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "itsm.tasks.beat_heartbeat", "schedule": 15.0},
    # Every ticket type whose workflow declares auto_close (incidents: resolved -> closed).
    "auto-close-tickets": {
        "task": "tickets.tasks.auto_close_all_tenants",
        "schedule": 600.0,
    },
    # The SLA scanner: cheap when nothing is due (one index probe), so it can run often.
    "sla-tick": {"task": "sla.tasks.sla_tick", "schedule": float(os.environ.get("SLA_TICK_SECONDS", "10")),
                 "options": {"expires": 30}},
    # Approval reminders and timeouts from the public due index (approvals/scanner.py).
    "approvals-tick": {"task": "approvals.tasks.approvals_tick", "schedule": 30.0, "options": {"expires": 60}},
    # Contract renewal reminders (assets/reminders.py): once per end date, so hourly runs mail nobody twice.
    "contract-renewal-reminders": {"task": "assets.tasks.contract_reminders_all_tenants", "schedule": 3600.0,
                                   "options": {"expires": 1800}},
    # Critical live CIs no discovery source has seen for the tenant's stale_after_days get a task (cmdb.staleness).
    "cmdb-stale-cis": {"task": "cmdb.tasks.stale_cis_all_tenants",
                       "schedule": float(os.environ.get("CMDB_STALE_SCAN_SECONDS", str(6 * 3600))),
                       "options": {"expires": 3600}},
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Failed logins per (tenant, username) and per (tenant, IP) before a lock-out window.
# Seconds a signed approval link in mail stays usable (approvals/links.py); single use in any case.
APPROVAL_LINK_MAX_AGE = int(os.environ.get("APPROVAL_LINK_MAX_AGE", str(7 * 24 * 3600)))
LOGIN_RATE_LIMIT = {"attempts": int(os.environ.get("LOGIN_MAX_ATTEMPTS", "5")), "window_seconds": 900}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / ".data" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG and not TESTING
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# Attachments: size and type limits, enforced by tickets.attachments.
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
ATTACHMENT_ALLOWED_EXTENSIONS = env_list(
    "ATTACHMENT_ALLOWED_EXTENSIONS",
    default=["txt", "log", "csv", "pdf", "png", "jpg", "jpeg", "gif", "webp", "docx", "xlsx", "pptx", "zip", "json", "eml", "msg"],
)
# CMDB imports (cmdb.imports): the upload is refused above this size before its body is read, and a file
# with more data rows than this is refused whole.
CMDB_IMPORT_MAX_BYTES = int(os.environ.get("CMDB_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
CMDB_IMPORT_MAX_ROWS = int(os.environ.get("CMDB_IMPORT_MAX_ROWS", "200000"))
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

_email = parse_email_url(os.environ.get("EMAIL_URL", "console://"))
EMAIL_BACKEND = _email.pop("BACKEND")
for _key, _value in _email.items():
    globals()[_key] = _value
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"service-desk@{BASE_DOMAIN}")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    # orjson: the same JSON as DRF's renderer (compact, UTF-8), a few times faster on a list page.
    "DEFAULT_RENDERER_CLASSES": ["drf_orjson_renderer.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ITSM service desk API",
    "DESCRIPTION": "Per-tenant REST API. Call it on the tenant's host (`https://<slug>.<base domain>/api/v1/`) "
    "with `Authorization: Token <key>` (or `Bearer <key>`). Errors are JSON: "
    "`{\"detail\": ..., \"code\": ..., \"fields\": {\"field\": [\"message\"]}}`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Impact and urgency share one 1-3 scale; name it once instead of per field.
    "ENUM_NAME_OVERRIDES": {
        "LevelEnum": "tickets.models.Impact",
        # Each ticket type's states and resolution codes are its own enum.
        "IncidentStateEnum": "incidents.workflow.WORKFLOW.state_choices",
        "ProblemStateEnum": "problems.workflow.WORKFLOW.state_choices",
        "IncidentResolutionCodeEnum": "incidents.models.ResolutionCode",
        "ProblemResolutionCodeEnum": "problems.models.ResolutionCode",
        "ApprovalStageStateEnum": "approvals.models.ApprovalStage.State",
        "ApprovalRequestStateEnum": "approvals.models.ApprovalRequest.State",
        "ApprovalStageKindEnum": "approvals.models.StageKind",
        "EntitlementMetricEnum": "assets.models.Entitlement.Metric",
        "MetricEnum": "sla.models.Metric",  # named explicitly since entitlements have a "metric" too
        # An asset's lifecycle "action" would otherwise take the SLA escalation action's name.
        "ActionEnum": "sla.models.EscalationRule.Action",
        "AssetKindEnum": "assets.models.Asset.Kind",
        "AssetLifecycleEnum": "assets.models.Asset.Lifecycle",
        "AssetActionEnum": "assets.lifecycle.ACTION_CHOICES",
        "ContractKindEnum": "assets.models.Contract.Kind",
        "CIStatusEnum": "cmdb.models.CI.Status",
        "LicenceStatusEnum": "assets.licensing.STATUS_CHOICES",
        # A type whose detail adds extension fields has two components with its states (Task, TaskDetail).
        "TaskStateEnum": "fulfilment.workflow.WORKFLOW.state_choices",
        "CIEnvironmentEnum": "cmdb.models.CI.Environment",
        "CICriticalityEnum": "cmdb.models.CI.Criticality",
    },
    # Tags and operation ids start after the version: "incidents_list", not "v1_incidents_list".
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Swagger UI from our own static files (the CSP allows no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The default enum hook, then ours (core.api.schema explains what it adds: every status an
    # operation can return, closed request bodies); `manage.py spectacular` gets the same document.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.api.schema.document_contract"],
}

# Security. Production (DEBUG=0) passes `manage.py check --deploy`.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"tenant": {"()": "itsm.logging.TenantContextFilter"}},
    "formatters": {"json": {"()": "itsm.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["tenant"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "celery": {"level": "INFO"},
    },
}

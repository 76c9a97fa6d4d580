"""Savdo settings: everything that varies between machines comes from the environment, here and only here.

Environment (documented in the README):
    SAVDO_ENV              "development" (default) or "production"
    DATABASE_URL           default: SQLite file under ./var/ (SAVDO_VAR_DIR)
    REDIS_URL              optional; local-memory cache without it
    SECRET_KEY             required in production; generated under ./var/ in development
    DEBUG                  default on in development, off in production (refused on in production)
    ALLOWED_HOSTS          comma separated
    CORS_ALLOWED_ORIGINS   comma separated
    SAVDO_MAX_BODY_BYTES   largest accepted request body (default 1 MiB)
    SAVDO_MAX_PAGE_SIZE    largest page size any list accepts (default 500)
    SAVDO_THROTTLE_USER / SAVDO_THROTTLE_ANON / SAVDO_THROTTLE_AUTH  DRF rates, e.g. "6000/min"
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("SAVDO_VAR_DIR", Path.cwd() / "var")).resolve()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SAVDO_ENV = os.environ.get("SAVDO_ENV", "development").strip().lower()
PRODUCTION = SAVDO_ENV == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when SAVDO_ENV=production.")


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when SAVDO_ENV=production: set it to a long random string, e.g. "
            "export SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')\""
        )
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver,[::1]")
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "axes",
    "savdo.core",
    "savdo.tenancy",
    "savdo.accounts",
    "savdo.customers",
    "savdo.catalog",
    "savdo.inventory",
    "savdo.sales",
    "savdo.analytics",
    "savdo.tasks",
    "savdo.audit",
    "savdo.crm",
    "savdo.messaging",
    "savdo.telecom",
    "savdo.support",
    "savdo.demo",
    "savdo.api",
]

MIDDLEWARE = [
    "savdo.api.middleware.AccessLogMiddleware",  # first: times the whole request
    "savdo.api.middleware.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

if env_bool("SAVDO_SQL_STATS", False):
    # Benchmarks read each response's SQL query count and time from a header.
    MIDDLEWARE.insert(0, "savdo.api.sqlstats.SqlStatsMiddleware")

ROOT_URLCONF = "savdo.urls"
WSGI_APPLICATION = "savdo.wsgi.application"
ASGI_APPLICATION = "savdo.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Every route answers with and without its trailing slash; no redirects.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -----------------------------------------------------------------------------------
# Savdo's PostgreSQL backend (savdo/core/postgresql/): health checks only after a second idle, the
# BEGIN sent with the first statement, the till's statements prepared. SAVDO_PG_BACKEND=0 keeps
# Django's stock backend with its defaults (client-side binding, nothing prepared; SAVDO_DB_PREPARED
# then does nothing; only the data versions and the COMMIT timing added), to measure what it saves.
SAVDO_PG_BACKEND = env_bool("SAVDO_PG_BACKEND", True)
_default_sqlite = f"sqlite:///{VAR_DIR / 'savdo.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL", "") or _default_sqlite
if DATABASE_URL.startswith("sqlite"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside one writer; IMMEDIATE takes the write lock at BEGIN, so a
    # transaction never has to upgrade a read lock (the cause of instant "database is locked");
    # the timeout makes concurrent writers queue instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # In memory unless named (":memory:" said outright: pytest-django recognizes Django's SQLite engine
    # by its name only, and would make a file name of the database's path for each xdist worker).
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("SAVDO_SQLITE_TEST_NAME") or ":memory:"
    # Django's, writing each transaction's data versions with its COMMIT (savdo/core/versions.py)
    DATABASES["default"]["ENGINE"] = "savdo.core.sqlite"
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not SAVDO_PG_BACKEND:
        # Django's, with the data versions written with each COMMIT (savdo/core/postgresql/stock/)
        DATABASES["default"]["ENGINE"] = "savdo.core.postgresql.stock"
    elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's, pinging only connections idle for a second or more (savdo/core/postgresql/base.py)
        DATABASES["default"]["ENGINE"] = "savdo.core.postgresql"
        if env_bool("SAVDO_DB_PREPARED", True):
            # Parameters bound by the server, and the till's statements prepared: PostgreSQL then
            # parses and plans them once per connection (half of its CPU on a till request; see
            # savdo/core/postgresql/base.py for which). Off (SAVDO_DB_PREPARED=0) behind a pooler
            # in transaction mode without prepared statement support (PgBouncer before 1.21).
            DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A connection lost since its last use: a read is retried on a fresh one, a write answers 503 with
    # Retry-After (savdo/core/postgresql/recovery.py). Last, so that it sees the view's error first.
    MIDDLEWARE.append("savdo.core.postgresql.recovery.LostConnectionMiddleware")
DATABASES["default"]["ATOMIC_REQUESTS"] = False

# --- Cache ------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
            # Parallel test workers share one Redis database: each keeps its own keys.
            "KEY_PREFIX": "savdo" + os.environ.get("PYTEST_XDIST_WORKER", ""),
            # Every key names the database it was computed from (savdo/core/cacheident.py): two
            # databases on one Redis, or a restored one, never meet each other's answers.
            "KEY_FUNCTION": "savdo.core.cacheident.make_key",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "savdo",
            "KEY_FUNCTION": "savdo.core.cacheident.make_key",
        }
    }

# Adding a line to a pending sale (a scan, add-item) commits without waiting for the disk flush
# (savdo/core/batching.py, `commit_without_flush`): a crash can lose the last moment of cart lines,
# never a checkout, which flushes them too.
SAVDO_CART_ASYNC_COMMIT = env_bool("SAVDO_CART_ASYNC_COMMIT", True)
# The fast paths below answer exactly as plain Django and DRF would; each can be switched off (=0) to
# measure what it saves (benchmarks/run.py --without; docs/architecture.md lists them).
# The till's row reads and few-row writes as statements compiled once per process (savdo/core/fixed.py).
SAVDO_FIXED_QUERIES = env_bool("SAVDO_FIXED_QUERIES", True)
# A scan's and a checkout's last writes sent with their COMMIT, in one round trip (savdo/core/batching.py).
SAVDO_BATCHED_COMMIT = env_bool("SAVDO_BATCHED_COMMIT", True)
# The till's plainly valid request bodies read without DRF's field machinery (savdo/api/plain.py).
SAVDO_PLAIN_INPUTS = env_bool("SAVDO_PLAIN_INPUTS", True)
# List rows (and the till's sale) rendered by a plan made once per serializer (savdo/api/fastlists.py).
SAVDO_FAST_LISTS = env_bool("SAVDO_FAST_LISTS", True)
# Cache who each access token is (user + membership) in the shared cache; see savdo/api/principals.py.
SAVDO_PRINCIPAL_CACHE = env_bool("SAVDO_PRINCIPAL_CACHE", bool(REDIS_URL))
# Cache exact list totals per tenant, kept exact by write versions; see savdo/core/counts.py.
SAVDO_CACHED_COUNTS = env_bool("SAVDO_CACHED_COUNTS", bool(REDIS_URL))
# Serve hot reads (lists, searches, reports) from rendered responses kept exact by the same write
# versions; see savdo/api/readcache.py.
SAVDO_RESPONSE_CACHE = env_bool("SAVDO_RESPONSE_CACHE", bool(REDIS_URL))
# Each server process also keeps the answers it served lately (up to this many MB), under the same
# version-bearing keys: a hit skips fetching the bytes from the shared cache. 0 turns it off.
SAVDO_LOCAL_ANSWERS_MB = int(os.environ.get("SAVDO_LOCAL_ANSWERS_MB", "32"))
# PostgreSQL row-level security on tenant-owned tables (savdo/core/rls.py): API requests run as this
# role, bound to their tenant. SAVDO_RLS=0 turns it off (the policies stay, nothing is bound by them).
SAVDO_DB_APP_ROLE = os.environ.get("SAVDO_DB_APP_ROLE", "savdo_app")
SAVDO_RLS = os.environ.get("SAVDO_RLS", "1") not in ("0", "false", "False", "")
# Messengers (savdo/messaging): the public base of the webhook URLs a channel shows (behind a proxy;
# otherwise the request's own host), how replies and webhook registrations leave the request
# (thread, inline or off, see savdo/messaging/jobs.py) and the providers' API addresses.
SAVDO_PUBLIC_URL = os.environ.get("SAVDO_PUBLIC_URL", "").rstrip("/")
SAVDO_MESSAGING_BACKGROUND = os.environ.get("SAVDO_MESSAGING_BACKGROUND", "thread")
if SAVDO_MESSAGING_BACKGROUND not in ("thread", "inline", "off"):
    raise ImproperlyConfigured("SAVDO_MESSAGING_BACKGROUND must be thread, inline or off.")
SAVDO_TELEGRAM_API_URL = os.environ.get("SAVDO_TELEGRAM_API_URL", "")
SAVDO_WHATSAPP_CLOUD_API_URL = os.environ.get("SAVDO_WHATSAPP_CLOUD_API_URL", "")
_SHARED_CACHE_FEATURES = {
    "SAVDO_PRINCIPAL_CACHE": SAVDO_PRINCIPAL_CACHE,
    "SAVDO_CACHED_COUNTS": SAVDO_CACHED_COUNTS,
    "SAVDO_RESPONSE_CACHE": SAVDO_RESPONSE_CACHE,
}
if not REDIS_URL and any(_SHARED_CACHE_FEATURES.values()):
    # The per-process memory cache: one worker would never see another worker's writes.
    on = ", ".join(name for name, value in _SHARED_CACHE_FEATURES.items() if value)
    raise ImproperlyConfigured(f"{on} need REDIS_URL (a cache every server process shares).")

# --- Auth -------------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Failed logins (savdo/accounts/lockout.py): AXES_FAILURE_LIMIT wrong passwords lock one username
# from one client address for the cool-off; a username failing from many addresses backs off instead
# (its free failures, then one attempt per turn, the turn doubling up to the maximum, in seconds).
AXES_FAILURE_LIMIT = int(os.environ.get("SAVDO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("SAVDO_LOGIN_LOCK_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "savdo.accounts.lockout.client_address"
LOGIN_USERNAME_FREE_FAILURES = int(os.environ.get("SAVDO_LOGIN_USERNAME_FREE_FAILURES", "20"))
LOGIN_USERNAME_BACKOFF_MAX = int(os.environ.get("SAVDO_LOGIN_USERNAME_BACKOFF_MAX", "60"))
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True

SIMPLE_JWT = {
    # Access tokens live at most 15 minutes in production; benchmarks may set more in development.
    "ACCESS_TOKEN_LIFETIME": timedelta(
        minutes=min(int(os.environ.get("SAVDO_ACCESS_TOKEN_MINUTES", "15")), 15)
        if PRODUCTION and not env_bool("SAVDO_BENCHMARK", False)
        else int(os.environ.get("SAVDO_ACCESS_TOKEN_MINUTES", "15"))
    ),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=int(os.environ.get("SAVDO_REFRESH_TOKEN_DAYS", "7"))),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# --- REST framework ---------------------------------------------------------------------------
MAX_PAGE_SIZE = int(os.environ.get("SAVDO_MAX_PAGE_SIZE", "500"))
MAX_BODY_BYTES = int(os.environ.get("SAVDO_MAX_BODY_BYTES", str(1024 * 1024)))
# Bulk routes (document 002's import of up to 10,000 clients, ~2.5 MB) take larger bodies; the
# middleware holds every other route to MAX_BODY_BYTES.
MAX_BULK_BODY_BYTES = int(os.environ.get("SAVDO_MAX_BULK_BODY_BYTES", str(16 * 1024 * 1024)))
BULK_BODY_PATHS = ("/api/clients/import",)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(MAX_BODY_BYTES, MAX_BULK_BODY_BYTES)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["savdo.api.authentication.CachedJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["savdo.api.renderers.OrjsonRenderer"],
    "DEFAULT_PARSER_CLASSES": ["savdo.api.parsers.SafeJSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "savdo.api.schema.SurfaceAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "savdo.api.throttling.AnonRateThrottle",
        "savdo.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("SAVDO_THROTTLE_ANON", "600/min"),
        "user": os.environ.get("SAVDO_THROTTLE_USER", "6000/min"),
        "auth": os.environ.get("SAVDO_THROTTLE_AUTH", "60/min"),
    },
    "EXCEPTION_HANDLER": "savdo.api.errors.exception_handler",
    # Proxies in front of Savdo that set X-Forwarded-For; 0 = clients connect directly, so a
    # client-sent X-Forwarded-For cannot dodge the per-address throttles.
    "NUM_PROXIES": int(os.environ.get("SAVDO_NUM_PROXIES", "0")),
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Savdo API",
    "DESCRIPTION": "One multi-tenant backend serving the retail (000, 001), clients (002), "
    "CRM v1 (003) and telecom (004) API documents.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "GET_MOCK_REQUEST": "savdo.api.schema.mock_request",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "ENUM_NAME_OVERRIDES": {
        "InvitationStatusEnum": "savdo.tenancy.models.InvitationStatus",
        "TaskStatusEnum": "savdo.tasks.choices.TaskStatus",
        "TaskPriorityEnum": "savdo.tasks.choices.TaskPriority",
        "TaskCategoryEnum": "savdo.tasks.choices.TaskCategory",
        "TicketStatusEnum": "savdo.support.choices.TicketStatus",
        "TicketPriorityEnum": "savdo.support.choices.TicketPriority",
        "TicketCategoryEnum": "savdo.support.choices.TicketCategory",
        "CustomerStatusEnum": "savdo.customers.models.CustomerStatus",
        "SimStatusEnum": "savdo.telecom.choices.SimStatus",
        "ContractStatusEnum": "savdo.telecom.choices.ContractStatus",
        "PaymentStatusEnum": "savdo.telecom.choices.PaymentStatus",
        "DealStatusEnum": "savdo.crm.choices.DealStatus",
        "ChatStatusEnum": "savdo.messaging.choices.ChatStatus",
        "SaleStatusEnum": "savdo.sales.choices.SaleStatus",
        "ShiftStatusEnum": "savdo.sales.choices.ShiftStatus",
        "ClientStatusEnum": "savdo.customers.clients.CLIENT_STATUSES",
    },
    # Paths are absolute (/api/...): the server is wherever the schema was read from.
    "SERVERS": [{"url": "/"}],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "savdo.api.schema.postprocess"],
}

# --- Language and time ------------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("uz", _("Uzbek")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Tashkent"
USE_TZ = True

# --- Static -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Swagger/ReDoc assets come from drf-spectacular-sidecar, served by WhiteNoise straight from the
# installed packages: no CDN, no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security ---------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SAVDO_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SAVDO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# One access-log line per request (savdo.api.middleware.AccessLogMiddleware, INFO on savdo.access;
# SAVDO_ACCESS_LOG=0 turns it off). Django's django.request logger would log every 4xx a second time
# (as a warning): it keeps server errors only, with their tracebacks; django.server (the --dev server)
# likewise.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "axes": {"level": "ERROR"},
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "ERROR"},
        "savdo.access": {"level": "INFO" if env_bool("SAVDO_ACCESS_LOG", True) else "WARNING"},
    },
}

# Covering indexes (INCLUDE columns, e.g. crm.Deal's) are PostgreSQL's; SQLite builds them as plain
# indexes, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

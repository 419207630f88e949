"""Production: every secret comes from the environment; `manage.py check --deploy` is clean."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CELERY_VISIBILITY_TIMEOUT, REST_FRAMEWORK, database, env, logging_config

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DATABASES = {"default": database(env.db_url("DATABASE_URL"))}
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
# Shared by every web process: throttles and guess limits must count across all of them.
CACHES = {"default": env.cache_url("CACHE_URL")}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
LEDGER_SIGNING_KEY = env.str("LEDGER_SIGNING_KEY")
PAYMENT_SIGNING_KEY = env.str("PAYMENT_SIGNING_KEY")
SEPA_DEBTOR_NAME = env.str("SEPA_DEBTOR_NAME")
SEPA_DEBTOR_IBAN = env.str("SEPA_DEBTOR_IBAN")
SEPA_DEBTOR_BIC = env.str("SEPA_DEBTOR_BIC")
# No default: behind a proxy, 0 would make every client the proxy (one lockout and one throttle
# for everybody); without one, a wrong count would let clients choose their address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT")
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT is the number of proxies: 0 or more.")
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": TRUSTED_PROXY_COUNT}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
SITE_URL = env.str("SITE_URL")
DEMO_DATA_ALLOWED = False
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = logging_config(LOG_FORMAT)

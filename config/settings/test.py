"""Tests: the same PostgreSQL as production, fast password hashing, eager nothing by default."""

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The ledger refuses TRUNCATE; the test backend lets Django's flush between transactional tests
# through (and nothing else). See tests/pgbackend.
DATABASES["default"]["ENGINE"] = "tests.pgbackend"
DATABASES["default"]["CONN_MAX_AGE"] = 0
LEDGER_SIGNING_KEY_FILE = str(VAR_DIR / "test-ledger-signing-key.pem")
# Mail and other background work run inline in tests, so a test sees the mail it caused; the
# ledger's Celery tests start a real worker against Redis where they need one.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
SITE_URL = "http://testserver"
# The suite reads messages in English (the source language); tests of Dutch and German
# choose their language explicitly. Production and development default to Dutch.
LANGUAGE_CODE = "en"

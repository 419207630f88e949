"""Settings of the real Celery workers that the payout worker tests and bench/payout_bench.py
start: the test settings, with tasks really queued on the broker (CELERY_BROKER_URL, Redis)
instead of run eagerly, and the broker's visibility timeout from CELERY_VISIBILITY_TIMEOUT
(seconds), swept for every second, so that a killed worker's unacknowledged task is delivered
again within seconds."""

from config.settings.base import env
from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.float("CELERY_VISIBILITY_TIMEOUT", default=3600.0),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

"""Settings of the dying worker's test: real SMTP to the test's server, quick redelivery."""

from config.settings.test import *  # noqa: F403
from config.settings.test import env

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = env.int("TEST_SMTP_PORT")
# Redis gives an unacknowledged task to another worker once the visibility timeout has
# passed; its workers look for such tasks every interval x throttle seconds (100 by default).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 5,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

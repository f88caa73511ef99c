"""A Celery app for one test: its worker dies after a mail task ran, before acknowledging it.

`celery -A tests.mail.dying_worker worker` runs the project's app with one signal handler
more: the first time mail.tasks.notify finishes, the process exits at once (as a killed
worker would), so the broker never hears the acknowledgement (CELERY_TASK_ACKS_LATE) and
delivers the task again. DIE_MARKER names a file that says the death already happened.
"""

import os
from pathlib import Path

from celery.signals import task_postrun

from config.celery import app

__all__ = ["app"]


@task_postrun.connect
def _die_once(sender=None, **kwargs):
    marker = Path(os.environ["DIE_MARKER"])
    if sender is not None and sender.name == "mail.tasks.notify" and not marker.exists():
        marker.write_text("died after sending, before acknowledging\n")
        os._exit(9)

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from helpcenter import services

# Who counted what is needed only while a reload could repeat a view: a day, plus margin.
KEEP_DAYS = 3


@shared_task
def prune_counted() -> int:
    """Forget old once-per-visitor keys (the daily counters stay); safe to run twice."""
    return services.counted_prune(before=timezone.localdate() - timedelta(days=KEEP_DAYS))

"""Thin Celery tasks: the reports' beat (fold the case events, ask resolved cases for a
rating, make the summaries) and the mails those queue. Safe to run twice."""

from celery import shared_task

from reports import notifications, rollup, services, summaries


@shared_task(ignore_result=True)
def fold() -> dict:
    """Ask the newly resolved cases for a rating, then fold the latest events into the reports."""
    invited = services.ratings_invite()
    result = rollup.fold()
    return {"invited": len(invited), "cases": result.cases, "days": len(result.days)}


@shared_task(ignore_result=True)
def make_summaries() -> int:
    """The summaries of the last complete week and month, once each, mailed to their readers."""
    return len(summaries.ensure())


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_rating_request(rating_id: int) -> None:
    notifications.rating_request(rating_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def alert_low_score(rating_id: int) -> None:
    notifications.low_score(rating_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_summary(summary_id: int) -> None:
    notifications.summary(summary_id)

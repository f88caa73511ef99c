"""Thin Celery tasks for account mail; recorded in the outbox with the change that needs them."""

from celery import shared_task

from accounts import notifications


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email_verification(user_id: int) -> None:
    notifications.email_verification(user_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_already_registered(user_id: int) -> None:
    notifications.already_registered(user_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_unlock_link(user_id: int) -> None:
    notifications.unlock_link(user_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_enrolment_invitation(user_id: int, invited_by_id: int | None) -> None:
    notifications.enrolment_invitation(user_id, invited_by_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_security_notice(event_id: int) -> None:
    notifications.security_notice(event_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_lockout_alert(user_id: int, failures: int, addresses: int) -> None:
    notifications.lockout_alert(user_id, failures, addresses)

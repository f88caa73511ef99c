"""Thin Celery tasks: take ids, call the notification code, safe to run twice."""

from celery import shared_task

from tickets import notifications


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_ticket_received(ticket_id: int) -> None:
    notifications.ticket_received(ticket_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_staff_reply(message_id: int) -> None:
    notifications.staff_replied(message_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_customer_mail(ticket_id: int, template: str, message_id: int | None = None) -> None:
    notifications.lifecycle_mail(ticket_id, template, message_id)

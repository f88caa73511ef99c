"""Thin Celery tasks: the chat sweep the beat runs (REDRESS_CHAT_SWEEP_INTERVAL)."""

from celery import shared_task

from chat import services


@shared_task(ignore_result=True)
def sweep() -> dict:
    """Lapsed offers back to the queue, offers made, chats that waited too long into cases."""
    result = services.chat_sweep()
    return {
        "expired": len(result.expired),
        "offered": len(result.offered),
        "ticketed": len(result.ticketed),
    }

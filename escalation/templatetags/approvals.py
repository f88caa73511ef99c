from django import template

from tickets.models import Resolution

register = template.Library()


@register.simple_tag
def waiting_approvals() -> int:
    """How many proposals wait for a second person: the approvals link shows it."""
    return Resolution.objects.filter(state=Resolution.State.PENDING_APPROVAL).count()

from django import forms, template
from django.utils.translation import gettext

from accounts import roles
from tickets.chains import explorer_url
from tickets.models import Priority, Status, Tier
from tickets.queue import BREACHING_SOON

register = template.Library()

_LABELS = {
    "priority": dict(Priority.choices),
    "tier": dict(Tier.choices),
    "status": dict(Status.choices),
}


@register.filter
def styled(bound_field):
    """The field's widget with Bootstrap classes, marked invalid and tied to its error text."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.Select):
        css = "form-select"
    elif isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    else:
        css = "form-control"
    attrs = {"class": css}
    if bound_field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{bound_field.auto_id}-error"
    return bound_field.as_widget(attrs=attrs)


@register.simple_tag
def tx_link(network, txid: str) -> str:
    return explorer_url(network.explorer_tx_url, txid=txid) if network and txid else ""


@register.simple_tag
def address_link(network, address: str) -> str:
    return (
        explorer_url(network.explorer_address_url, address=address) if network and address else ""
    )


@register.filter
def has_role(user, role: str) -> bool:
    """For templates: the role check the views use (roles are cached per request)."""
    return user.is_superuser or roles.has_role(user, role)


@register.filter
def label(value: str, choices: str) -> str:
    """The display label of a stored choice, from a dict built once per process.

    `get_FOO_display` rebuilds its lookup on every call; a 50-row queue page makes 150.
    """
    return _LABELS[choices].get(value, value)


@register.filter
def is_staff_member(user) -> bool:
    """For templates: show staff-only links (roles are cached on the user for the request)."""
    return roles.is_staff_member(user)


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)d min") % {"minutes": minutes}


@register.simple_tag
def sla_countdown(due, now, *, paused_at=None, warn_at=None) -> dict:
    """A deadline as the queue and workbench show it: text and a red/amber/green class.

    "in 3 h 12 min", "overdue 25 min"; while the clock is paused the time left is the time
    that was left when it stopped. Amber from the policy's warning time, or within the
    queue's "breaching soon" window.
    """
    if due is None:
        return {"text": "—", "css": "sla-none"}
    left = (due - (paused_at or now)).total_seconds()
    if paused_at is not None:
        return {
            "text": gettext("paused, %(left)s left") % {"left": _span(left)}
            if left > 0
            else gettext("paused"),
            "css": "sla-paused",
        }
    if left < 0:
        return {"text": gettext("overdue %(time)s") % {"time": _span(left)}, "css": "sla-overdue"}
    soon = left < BREACHING_SOON.total_seconds() or (warn_at is not None and warn_at <= now)
    return {
        "text": gettext("in %(time)s") % {"time": _span(left)},
        "css": "sla-soon" if soon else "sla-ok",
    }


@register.simple_tag
def queue_sla(ticket, now) -> dict:
    """The SLA cell of a queue row: the next deadline, or why no clock runs."""
    if ticket.status == Status.PENDING_CUSTOMER or ticket.sla_paused_at:
        return {"text": gettext("paused"), "css": "sla-paused"}
    if ticket.status == Status.RESOLUTION_PROPOSED:
        return {"text": gettext("awaiting customer"), "css": "sla-paused"}
    return sla_countdown(ticket.escalation_due_at, now, warn_at=ticket.sla_warning_at)


@register.filter
def plain_amount(value) -> str:
    """A Decimal as people write it: no trailing zeros, never in exponent form."""
    if value is None or value == "":
        return ""
    return format(value.normalize(), "f")


@register.filter
def staff_status(ticket) -> str:
    """The status as the desk says it: the customer's "Waiting for you" is staff's wait on them."""
    if ticket.status == Status.PENDING_CUSTOMER:
        return gettext("Waiting on customer")
    return _LABELS["status"].get(ticket.status, ticket.status)

from django import forms, template

from accounts import roles
from evidence.chains import explorer_url
from tickets import formatting, labels

register = template.Library()


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
def is_staff_member(user) -> bool:
    """For templates: show staff-only links (roles are cached on the user for the request)."""
    return roles.is_staff_member(user)


@register.filter
def when(moment, element_id: str = ""):
    """`{{ ticket.created_at|when }}`: one format per language, with its zone, local in the browser."""
    return formatting.when_html(moment, element_id)


@register.filter
def amount(value, asset=None) -> str:
    """`{{ proposal.amount|amount:proposal.asset }}`: its asset's places, no trailing zeros."""
    return formatting.amount_text(value, asset or None)


@register.filter
def customer_name(person, ticket) -> str:
    """`{{ message.author|customer_name:ticket }}`: the name the case's customer sees."""
    return labels.name_for_customer(person, ticket)


# Staff pages (the desk's and the committee's) word a status as the queue's rows do.
register.filter(labels.staff_status)

from django import forms, template

from tickets.chains import explorer_url

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

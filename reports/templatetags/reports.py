from django import template

from reports import formats

register = template.Library()


@register.filter
def report_value(value, kind):
    """A report's value as it reads: "3 h 53 min", "92.5 %", "1,234"."""
    return formats.value(value, kind)


@register.filter
def cell(row: dict, key: str):
    return row.get(key)

"""The form renderer: Django's, with selects drawn in Python.

Through the template engine every option of a select is an included template: a select
of 14 options took ~1.2 ms, and the staff queue draws nine selects (its filters and the
bulk bar) on every load, for agents who keep it open all day. This draws the same HTML
that Django's select.html and select_option.html make, from the same widget context, in
a few dozen microseconds (tests/test_form_renderer.py compares the two). A select whose
options use a template of their own is left to the templates.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: False leaves a name out, True writes it alone."""
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items()
        if value is not False
    )


def _option(option: dict) -> str:
    return format_html(
        '<option value="{}"{}>{}</option>',
        option["value"],
        mark_safe(_attrs(option["attrs"])),
        option["label"],
    )


def select_html(widget: dict) -> SafeString:
    """A select widget's context (`widget`, as get_context gives it) as select.html draws it."""
    parts = [
        format_html('<select name="{}"{}>', widget["name"], mark_safe(_attrs(widget["attrs"])))
    ]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        # select_option.html ends with a newline, so each option is followed by one.
        parts += ["\n  " + _option(option) + "\n" for option in options]
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))


class FormRenderer(DjangoTemplates):
    """Django's default renderer, but selects with Django's own option template are drawn
    by select_html."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if template_name == SELECT and widget is not None and _plain_options(widget):
            return select_html(widget)
        return super().render(template_name, context, request)


def _plain_options(widget: dict) -> bool:
    return all(
        option["template_name"] == OPTION
        for _name, options, _index in widget["optgroups"]
        for option in options
    )

"""config.form_renderer draws selects exactly as Django's templates do, only faster."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from config.form_renderer import SELECT, FormRenderer, select_html
from tickets.models import Category


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("a", "A"), ("b", 'B <"&> b')])
    optional = forms.ChoiceField(choices=[("", "—"), ("1", 1), (2, "two")], required=False)
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y"), ("z", "Z")])
    grouped = forms.ChoiceField(
        choices=[("Fiat", [("usd", "USD"), ("eur", "EUR")]), ("Crypto", [("btc", "BTC")])]
    )
    maybe = forms.NullBooleanField()
    translated = forms.ChoiceField(choices=[("open", _("Open")), ("closed", _("Closed"))])
    disabled = forms.ChoiceField(choices=[("a", "A")], disabled=True)
    labelled = forms.ChoiceField(
        choices=[("a", "A")],
        widget=forms.Select(attrs={"aria-label": 'Say "which"', "data-x": True, "hidden": False}),
    )


def _pairs(form):
    for bound in form:
        widget = bound.field.widget
        context = widget.get_context(bound.html_name, widget.format_value(bound.value()), {})
        context["widget"]["attrs"].update({"id": bound.auto_id, "class": "form-select"})
        yield bound.name, context


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"plain": "b", "optional": "2", "many": ["x", "z"], "grouped": "btc", "maybe": "true"},
    ],
)
def test_every_select_is_drawn_as_djangos_templates_draw_it(language, data):
    with translation.override(language):
        for name, context in _pairs(Everything(data or None)):
            assert select_html(context["widget"]) == DjangoTemplates().render(SELECT, context), name


@pytest.mark.django_db
def test_a_model_choice_select_draws_its_ids_and_names():
    field = forms.ModelChoiceField(queryset=Category.objects.order_by("pk"))
    chosen = Category.objects.order_by("pk").last()
    context = field.widget.get_context("category", chosen.pk, {"id": "id_category"})
    html = FormRenderer().render(SELECT, context)
    assert html == DjangoTemplates().render(SELECT, context)
    assert f'<option value="{chosen.pk}" selected>' in html


def test_a_select_whose_options_have_their_own_template_is_left_to_the_templates():
    class Custom(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    context = Custom(choices=[("a", "A")]).get_context("x", "a", {})
    assert FormRenderer().render(SELECT, context) == DjangoTemplates().render(SELECT, context)
    assert "<option" not in FormRenderer().render(SELECT, context)


def test_the_forms_of_the_app_use_it(settings):
    assert settings.FORM_RENDERER == "config.form_renderer.FormRenderer"
    assert isinstance(forms.Form().renderer or forms.renderers.get_default_renderer(), FormRenderer)

from django import forms
from django.utils.translation import gettext_lazy as _

from evidence.fields import EvidenceField
from tickets.selectors import active_categories


class ChatStartForm(forms.Form):
    message = forms.CharField(
        label=_("Your question"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Our assistant answers first from the help center; a person is one click away."
        ),
    )
    category = forms.ModelChoiceField(
        label=_("What is it about? (optional)"),
        queryset=active_categories(),
        to_field_name="code",
        required=False,
        empty_label=_("Not sure"),
    )


class RatingForm(forms.Form):
    SCORES = [(n, str(n)) for n in range(1, 6)]
    outcome = forms.TypedChoiceField(
        label=_("Did we solve your problem? (1 = not at all, 5 = completely)"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    service = forms.TypedChoiceField(
        label=_("How was the service? (1 = poor, 5 = excellent)"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ToTicketForm(forms.Form):
    """The agent's "Turn into a ticket": the category, and the evidence fields prefilled
    from the chat (every field is shown; the category takes those it asks for)."""

    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=active_categories(),
        to_field_name="code",
        empty_label=_("Choose a category"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in EvidenceField:
            self.fields[field.value] = forms.CharField(
                label=field.label, required=False, max_length=200
            )
        self.fields[EvidenceField.OCCURRED_AT].help_text = _("For example 2026-03-06 10:18.")

    def evidence(self) -> dict:
        return {
            name: value
            for name in EvidenceField.values
            if (value := self.cleaned_data.get(name, "").strip())
        }

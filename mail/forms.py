from django import forms
from django.utils.translation import gettext_lazy as _

from mail.kinds import Kind


class PreferencesForm(forms.Form):
    """One box per kind of mail the person may turn off; ticked means "send it to me"."""

    def __init__(self, *args, kinds: list[Kind], turned_off: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        for kind in kinds:
            self.fields[kind.code] = forms.BooleanField(
                label=kind.label, required=False, initial=kind.code not in turned_off
            )

    def turned_off(self) -> set[str]:
        return {code for code in self.fields if not self.cleaned_data.get(code)}


REQUIRED_NOTE = _(
    "These always come by mail, because they need an answer from you or the rules say we "
    "must send them:"
)

"""Web forms: they carry what the person typed; the services decide what is valid."""

from django import forms
from django.conf import settings
from django.urls import reverse, reverse_lazy
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from tickets.models import Asset, EvidenceField, Network
from tickets.selectors import active_categories

_ACCEPT = ",".join(settings.EVIDENCE_ALLOWED_TYPES)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several evidence files in one input (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": _ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


def _evidence_fields() -> dict[str, forms.Field]:
    # Plain text fields: parsing and per-category rules live in evidence.fields, shared with the API.
    return {
        EvidenceField.OCCURRED_AT: forms.CharField(
            label=EvidenceField.OCCURRED_AT.label,
            required=False,
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
            help_text=_("In UTC, as your exchange history shows it."),
        ),
        EvidenceField.ASSET: forms.ChoiceField(label=EvidenceField.ASSET.label, required=False),
        EvidenceField.NETWORK: forms.ChoiceField(label=EvidenceField.NETWORK.label, required=False),
        EvidenceField.AMOUNT: forms.CharField(
            label=EvidenceField.AMOUNT.label,
            required=False,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "1520.35"}),
        ),
        EvidenceField.ORDER_ID: forms.CharField(
            label=EvidenceField.ORDER_ID.label, required=False, max_length=64
        ),
        EvidenceField.TXID: forms.CharField(
            label=EvidenceField.TXID.label,
            required=False,
            max_length=128,
            help_text=_("The public hash of the transfer, from the exchange or a block explorer."),
            widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        ),
        EvidenceField.WALLET_ADDRESS: forms.CharField(
            label=EvidenceField.WALLET_ADDRESS.label,
            required=False,
            max_length=128,
            widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        ),
        EvidenceField.TRADING_PAIR: forms.CharField(
            label=EvidenceField.TRADING_PAIR.label,
            required=False,
            max_length=32,
            widget=forms.TextInput(attrs={"placeholder": "BTC/USDT"}),
        ),
        EvidenceField.DEVICE: forms.CharField(
            label=EvidenceField.DEVICE.label,
            required=False,
            max_length=200,
            widget=forms.TextInput(attrs={"placeholder": _("iPhone 15, App 2.81")}),
        ),
    }


class TicketFilingForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("What is it about?"),
        queryset=active_categories().select_related("team"),
        to_field_name="code",
        empty_label=_("Choose a category"),
        # Choosing a category swaps in its evidence fields, keeping what was typed (htmx).
        widget=forms.Select(
            attrs={
                "hx-get": reverse_lazy("tickets:category_fields"),
                "hx-trigger": "change",
                "hx-include": "#filing-form",
                "hx-target": "#evidence-fields",
                "hx-swap": "innerHTML",
            }
        ),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    description = forms.CharField(
        label=_("What happened?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you did, what you expected and what happened instead."),
    )
    files = MultipleFileField(label=_("Evidence files"))

    # While the customer types the subject, the help center suggests articles beside the
    # form (templates/tickets/file.html#help-suggestions); staff filing has no such panel.
    help_suggestions = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.help_suggestions:
            self.fields["subject"].widget.attrs.update(
                {
                    "hx-get": reverse("help:suggestions"),
                    "hx-trigger": "load, input changed delay:500ms",
                    "hx-include": "#id_category",
                    "hx-target": "#help-suggestions",
                    "hx-swap": "innerHTML",
                    # "queue last", not "replace": replacing aborts the request in flight, and
                    # htmx reports every abort as a console error (a slow first answer while
                    # the customer types did, and failed CI's browser test).
                    "hx-sync": "#help-suggestions:queue last",
                    "autocomplete": "off",
                }
            )
        # Worded here, per request: `%` on a lazy text at import froze it in English.
        self.fields["files"].help_text = _(
            "Screenshots or PDFs: PNG, JPEG, WebP or PDF, up to %(mb)d MB each."
        ) % {"mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024)}
        # Marked as required on the page, but checked by the service with everything else,
        # so one missing field never hides the other errors.
        self.fields["subject"].show_required = True
        self.fields["description"].show_required = True
        self.fields.update(_evidence_fields())
        blank = [("", "—")]
        self.fields["asset"].choices = blank + [
            (a.code, f"{a.code} — {a.name}") for a in Asset.objects.filter(is_active=True)
        ]
        self.fields["network"].choices = blank + [
            (n.code, n.name) for n in Network.objects.filter(is_active=True)
        ]

    @cached_property
    def category_obj(self):
        """The chosen category, from the submitted or initial value, for showing its fields."""
        code = self.data.get("category") if self.is_bound else self.initial.get("category")
        if not code:
            return None
        return active_categories().filter(code=code).first()

    @property
    def shown_evidence_fields(self):
        category = self.category_obj
        if category is None:
            return
        required = set(category.required_fields)
        for name in category.evidence_fields:
            bound = self[name]
            bound.field.show_required = name in required
            yield bound

    def field_values(self) -> dict:
        return {name: self.data.get(name, "") for name in EvidenceField.values}


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    files = MultipleFileField(label=_("Add evidence files"))


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=_("What do you disagree with?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Reviewers who did not handle your case read this first."),
    )
    files = MultipleFileField(label=_("New evidence (optional)"))

"""Forms of the committee's pages: what a member typed, for the services to judge."""

from django import forms
from django.utils.translation import gettext_lazy as _


class SendBackForm(forms.Form):
    """Why the second person does not approve: read by the proposal's author, never the customer."""

    reason = forms.CharField(
        label=_("What should change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VoteForm(forms.Form):
    """What the member typed; escalation.services.vote_cast decides what is valid."""

    # Radio buttons drawn by the template from `Verdict`; any other value is the service's to refuse.
    decision = forms.CharField(label=_("Decision"), required=False)
    rationale = forms.CharField(
        label=_("Rationale"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "If a majority agrees with you, the decision the customer reads is written from "
            "the majority's reasons."
        ),
    )
    remedy = forms.CharField(
        label=_("Remedy"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to modify or overturn: what the exchange must do."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rationale"].show_required = True


class DecisionForm(forms.Form):
    """The decision as it is published: one reasoned text and one remedy, for the panel."""

    rationale = forms.CharField(
        label=_("Reasons, as published"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "The majority's reasons in one text, in the panel's name. It starts from your "
            "vote; take in what the other majority members wrote. Dissent stays in the record."
        ),
    )
    remedy = forms.CharField(
        label=_("Remedy, as published"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One remedy: what the exchange must do. Leave it empty to uphold."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rationale"].show_required = True

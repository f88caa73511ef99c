"""Staff forms: the queue's filters and bulk actions, the workbench's actions, filing for a customer.

Like tickets.forms they carry what was typed; the services decide what is valid, so most
fields are optional here and a service's ValidationError lands on the field it names.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.core.validators import validate_email
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.models import Team, User
from desk.queue import VIEWS, QueueFilters
from tickets.formatting import amount_text
from tickets.forms import MultipleFileField, TicketFilingForm
from tickets.models import (
    OPEN_STATUSES,
    Asset,
    Category,
    Channel,
    Priority,
    ResolutionKind,
    Status,
    Tier,
)
from tickets.services import price_in_force

ALL_OPEN = "all"
STAFF_CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.SOCIAL)


class DropdownMultiple(forms.Select):
    """One dropdown on the page that still reads repeated values from a shared URL.

    `?status=new&status=open` filters on both, as QueueFilters allows, while the filter bar
    stays one compact select per field.
    """

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return getter(name) if getter else data.get(name)


class ChoicesFilter(forms.MultipleChoiceField):
    widget = DropdownMultiple

    def __init__(self, *, choices, **kwargs):
        super().__init__(choices=[("", _("Any")), *choices], required=False, **kwargs)

    def clean(self, value):
        return [v for v in super().clean(value) if v]


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string so a filtered queue is a shareable URL."""

    view = forms.ChoiceField(
        choices=[*VIEWS.items(), (ALL_OPEN, _("All open"))],
        required=False,
        widget=forms.HiddenInput,
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(
            attrs={"placeholder": _("Reference, subject, message, TxID, order ID…")}
        ),
    )
    status = ChoicesFilter(
        label=_("Status"),
        # "Waiting for you" is the customer's wording; the desk waits on the customer.
        choices=[
            (s.value, _("Waiting on customer") if s == Status.PENDING_CUSTOMER else s.label)
            for s in Status
            if s in OPEN_STATUSES
        ],
    )
    tier = ChoicesFilter(label=_("Tier"), choices=Tier.choices)
    category = ChoicesFilter(label=_("Category"), choices=[])
    team = ChoicesFilter(label=_("Team"), choices=[])
    priority = ChoicesFilter(label=_("Priority"), choices=Priority.choices)
    channel = ChoicesFilter(label=_("Channel"), choices=Channel.choices)
    assignee = forms.CharField(
        label=_("Assignee"),
        required=False,
        max_length=254,
        widget=forms.TextInput(
            attrs={"placeholder": _("me, none or an email"), "list": "assignee-options"}
        ),
    )
    created_from = forms.DateField(
        label=_("Filed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Filed until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [
            ("", _("Any")),
            *((c.code, c.name) for c in Category.objects.all()),
        ]
        # The queue page has its teams already (its rows name them): no query of its own.
        teams = Team.objects.all() if teams is None else teams
        self.fields["team"].choices = [("", _("Any")), *((t.code, t.label) for t in teams)]

    def clean_view(self):
        return self.cleaned_data["view"] or "mine"

    def clean_assignee(self):
        assignee = self.cleaned_data["assignee"].strip()
        if assignee.lower() in ("", "me", "none"):
            return assignee.lower()
        validate_email(assignee)
        return assignee

    def filters(self) -> QueueFilters:
        """What the agent asked for; a field that did not make sense is left out (and marked)."""
        self.is_valid()
        data = self.cleaned_data
        created_to = data.get("created_to")
        return QueueFilters(
            view=data.get("view") or "mine",
            status=data.get("status", []),
            tier=data.get("tier", []),
            category=data.get("category", []),
            priority=data.get("priority", []),
            channel=data.get("channel", []),
            team=data.get("team", []),
            assignee=data.get("assignee", ""),
            created_from=_day_start(data["created_from"]) if data.get("created_from") else None,
            # The whole last day counts: up to the start of the day after.
            created_to=_day_start(created_to + timedelta(days=1)) if created_to else None,
            q=data.get("q", ""),
        )


class ReferenceList(forms.Field):
    """The references of the rows the agent ticked (repeated `tickets=` values)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": _("Tick at least one case.")}

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else [value] if value else []
        return list(dict.fromkeys(str(v).strip().upper() for v in values if str(v).strip()))


BULK_ASSIGN, BULK_PRIORITY, BULK_MERGE = "assign", "priority", "merge"


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(
        label=_("With the selected cases"),
        choices=[
            (BULK_ASSIGN, _("Assign to…")),
            (BULK_PRIORITY, _("Change priority…")),
            (BULK_MERGE, _("Close as duplicate of…")),
        ],
    )
    tickets = ReferenceList()
    assignee = forms.CharField(
        label=_("Staff email"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"list": "staff-emails", "placeholder": _("Staff email")}),
    )
    team = forms.ChoiceField(label=_("or team"), required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("Priority…")), *Priority.choices]
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("Why (kept in the history)")}),
    )
    into = forms.CharField(
        label=_("Duplicate of"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"placeholder": "RD-XXXX-XXXX", "spellcheck": "false"}),
    )
    # Closing cases as duplicates cannot be undone: the agent confirms on a second page.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, teams=(), actions=(BULK_ASSIGN, BULK_PRIORITY, BULK_MERGE), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("or a team…")), *((t.code, t.label) for t in teams)]
        # Only what the user may do at some tier (tickets.authority); each row is checked too.
        action = self.fields["action"]
        action.choices = [(value, label) for value, label in action.choices if value in actions]

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == BULK_ASSIGN and not (data.get("assignee") or data.get("team")):
            self.add_error("assignee", _("Name a staff member or a team."))
        if action == BULK_PRIORITY and not data.get("priority"):
            self.add_error("priority", _("Choose a priority."))
        if action == BULK_MERGE:
            data["into"] = (data.get("into") or "").strip().upper()
            if not data["into"]:
                self.add_error("into", _("Give the reference of the case that carries on."))
        return data


# The workbench: one small form per action, each posted to its own view.


class OpenAnywayForm(forms.Form):
    """A supervisor's reason for opening a case outside their scope (kept in its audit trail)."""

    reason = forms.CharField(
        label=_("Why do you open this case?"),
        required=False,
        max_length=500,
        widget=forms.TextInput(
            attrs={"placeholder": _("For example: customer's complaint to the regulator")}
        ),
    )


class MessageForm(forms.Form):
    """A reply, an internal note or a request for information, with the stale-page check.

    `seen` is the newest message the agent had on screen; if someone wrote since, the view
    shows what is new and sends only when `confirm_stale` comes back.
    """

    body = forms.CharField(
        label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    seen = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    confirm_stale = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ReplyForm(MessageForm):
    files = MultipleFileField(label=_("Attach files"))


class ClaimForm(forms.Form):
    pass


class AssignForm(forms.Form):
    assignee = forms.CharField(
        label=_("Staff email"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"list": "staff-emails"}),
    )
    team = forms.ModelChoiceField(
        label=_("or team"),
        required=False,
        queryset=Team.objects.all(),
        to_field_name="code",
        empty_label=_("Keep the team"),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason the customer sees"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # The second step: set once the agent has read what will happen and said yes.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


def approval_limits(assets) -> str:
    """The approval limit, said before the agent proposes: above it a second person approves.

    The rule tickets.services.resolution_needs_approval applies: the compensation's worth in
    the reference currency, at the asset's reference price in force; an asset without a
    price always needs approval.
    """
    limit = {
        "limit": amount_text(settings.REDRESS_APPROVAL_LIMIT),
        "currency": settings.REDRESS_REFERENCE_CURRENCY,
    }
    unpriced = ", ".join(asset.code for asset in assets if price_in_force(asset) is None)
    if unpriced:
        return _(
            "Worth more than %(limit)s %(currency)s at the asset's reference price, a second "
            "person must approve it before the customer sees it; %(unpriced)s have no price and "
            "always need approval."
        ) % {**limit, "unpriced": unpriced}
    return (
        _(
            "Worth more than %(limit)s %(currency)s at the asset's reference price, a second person "
            "must approve it before the customer sees it."
        )
        % limit
    )


class ProposeResolutionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", "—"), *ResolutionKind.choices], required=False
    )
    summary = forms.CharField(
        label=_("Outcome, as the customer reads it"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    amount = forms.CharField(
        label=_("Amount (compensation)"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    asset = forms.ChoiceField(label=_("Asset (compensation)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        assets = list(Asset.objects.filter(is_active=True))
        self.fields["asset"].choices = [("", "—"), *((a.code, a.code) for a in assets)]
        self.fields["amount"].help_text = approval_limits(assets)


class EscalateForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it goes up a tier"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DelayNoticeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the decision takes longer (the customer reads this)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    expected_by = forms.DateField(
        label=_("Decision expected by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class CategoryForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True),
        to_field_name="code",
        empty_label=None,
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class MergeForm(forms.Form):
    into = forms.CharField(
        label=_("Duplicate of (the case that carries on)"),
        max_length=16,
        widget=forms.TextInput(attrs={"placeholder": "RD-XXXX-XXXX", "spellcheck": "false"}),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_into(self):
        return self.cleaned_data["into"].strip().upper()


class StaffFilingForm(TicketFilingForm):
    """The customer's filing form, plus who the customer is and how they reached us."""

    help_suggestions = False

    customer_email = forms.EmailField(
        label=_("Customer's email"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=_("The address of their Redress account."),
    )
    channel = forms.ChoiceField(
        label=_("Taken by"), choices=[(c.value, c.label) for c in STAFF_CHANNELS]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The category's fields come from the staff endpoint, which renders this form.
        self.fields["category"].widget.attrs["hx-get"] = reverse_lazy("staff:category_fields")
        self.fields["subject"].label = _("Subject")
        self.fields["description"].label = _("What the customer reports")
        self.fields["description"].help_text = _(
            "In the customer's words as far as possible: what they did, expected and got."
        )

    def clean_customer_email(self):
        email = self.cleaned_data["customer_email"].strip()
        customer = User.objects.filter(email__iexact=email, is_active=True).first()
        if customer is None or not roles.has_role(customer, roles.CUSTOMER):
            raise forms.ValidationError(
                _("No customer has this email address. Ask them to sign up first."),
                code="unknown_customer",
            )
        self.customer = customer
        return customer.email

"""The reports' filter form (shared by the pages and the API) and the rating form."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from reports.catalogue import default_range
from reports.query import ReportFilters
from reports.selectors import Scope
from tickets.models import Category, Channel, Priority, Tier

LONGEST_RANGE = timedelta(days=3 * 366)


class DropdownMultiple(forms.Select):
    """One dropdown on the page that still reads repeated values from a shared URL
    (`?team=funding&team=trading`), as the desk's queue filters do."""

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return getter(name) if getter else data.get(name)


class ChoicesFilter(forms.MultipleChoiceField):
    widget = DropdownMultiple

    def __init__(self, *, choices=(), **kwargs):
        super().__init__(choices=[("", _("Any")), *choices], required=False, **kwargs)

    def clean(self, value):
        return [v for v in super().clean(value) if v]


class ReportFilterForm(forms.Form):
    """`from` and `to` (both days included; the last 30 days by default) and the filters.

    A team lead is offered, and limited to, the teams they lead.
    """

    category = ChoicesFilter(label=_("Category"))
    team = ChoicesFilter(label=_("Team"))
    tier = ChoicesFilter(label=_("Tier"), choices=Tier.choices)
    channel = ChoicesFilter(label=_("Channel"), choices=Channel.choices)
    priority = ChoicesFilter(label=_("Priority"), choices=Priority.choices)

    def __init__(self, data=None, *, scope: Scope, **kwargs):
        super().__init__(data, **kwargs)
        start, end = default_range()
        # "from" is a Python keyword: these two are added here rather than declared.
        self.fields = {
            "from": forms.DateField(
                label=_("From"),
                required=False,
                initial=start,
                widget=forms.DateInput(attrs={"type": "date"}),
            ),
            "to": forms.DateField(
                label=_("To"),
                required=False,
                initial=end,
                widget=forms.DateInput(attrs={"type": "date"}),
            ),
            **self.fields,
        }
        self.categories = {c.code: c for c in Category.objects.all()}
        teams = Team.objects.order_by("name")
        if not scope.everything:
            teams = teams.filter(pk__in=scope.team_ids)
        self.teams = {t.code: t for t in teams}
        self.fields["category"].choices = [
            ("", _("Any")),
            *((code, c.name) for code, c in self.categories.items()),
        ]
        self.fields["team"].choices = [
            ("", _("Any")),
            *((c, t.label) for c, t in self.teams.items()),
        ]

    def clean(self):
        data = super().clean()
        default_start, default_end = default_range()
        start = data.get("from") or default_start
        end = data.get("to") or default_end
        if end < start:
            self.add_error("to", _("The end of the range cannot be before its start."))
        elif end - start > LONGEST_RANGE:
            self.add_error("to", _("Choose a range of three years at most."))
        data["from"], data["to"] = start, end
        return data

    def filters(self) -> ReportFilters:
        """The filters asked for; raises ValidationError (field-keyed) on a bad range."""
        if not self.is_valid():
            raise ValidationError(self.errors.as_data())
        data = self.cleaned_data
        return ReportFilters(
            start=data["from"],
            end=data["to"],
            category=tuple(self.categories[c].pk for c in data["category"]),
            team=tuple(self.teams[c].pk for c in data["team"]),
            tier=tuple(data["tier"]),
            channel=tuple(data["channel"]),
            priority=tuple(data["priority"]),
        )

    def chosen_fields(self):
        return [
            self[name] for name in ("from", "to", "category", "team", "tier", "channel", "priority")
        ]


SCORE_CHOICES = [(n, str(n)) for n in range(1, 6)]


class RatingForm(forms.Form):
    outcome = forms.TypedChoiceField(
        label=_("How satisfied are you with the outcome?"),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        required=False,
    )
    service = forms.TypedChoiceField(
        label=_("How satisfied are you with our service?"),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        required=False,
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ArchiveForm(ReportFilterForm):
    """The case files of a period: the same range and filters as the reports."""

import django_filters
from django.db.models import Q
from django.utils import timezone

from accounts.roles import is_staff_member
from tickets import search
from tickets.models import Priority, Status, Ticket, Tier


class TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    tier = django_filters.MultipleChoiceFilter(choices=Tier.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    category = django_filters.CharFilter(field_name="category__code")
    assignee = django_filters.CharFilter(
        method="filter_assignee", help_text="Staff only: a staff member's email."
    )
    breached = django_filters.BooleanFilter(method="filter_breached")
    q = django_filters.CharFilter(method="filter_q")

    class Meta:
        model = Ticket
        fields = ["status", "tier", "priority", "category", "assignee", "breached", "q"]

    def filter_assignee(self, queryset, name, value):
        # Customers never learn staff emails, not even by guessing one here.
        if self.request is None or not is_staff_member(self.request.user):
            return queryset
        return queryset.filter(assignee__email__iexact=value)

    def filter_breached(self, queryset, name, value):
        """Missed a deadline (and escalated for it), or overdue and not yet swept."""
        breached = Q(last_breach_at__isnull=False) | Q(escalation_due_at__lt=timezone.now())
        return queryset.filter(breached) if value else queryset.exclude(breached)

    def filter_q(self, queryset, name, value):
        # The same search as the staff queue: full text on PostgreSQL, identifiers exactly.
        return search.search(queryset, value)

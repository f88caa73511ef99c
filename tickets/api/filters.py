import django_filters
from django.db.models import Q
from django.utils import timezone

from tickets.models import Priority, Status, Ticket, Tier


class TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    tier = django_filters.MultipleChoiceFilter(choices=Tier.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    category = django_filters.CharFilter(field_name="category__code")
    assignee = django_filters.CharFilter(field_name="assignee__email", lookup_expr="iexact")
    breached = django_filters.BooleanFilter(method="filter_breached")
    q = django_filters.CharFilter(method="filter_q")

    class Meta:
        model = Ticket
        fields = ["status", "tier", "priority", "category", "assignee", "breached", "q"]

    def filter_breached(self, queryset, name, value):
        now = timezone.now()
        overdue = (
            Q(first_response_due_at__lt=now, first_responded_at__isnull=True)
            | Q(next_response_due_at__lt=now)
            | Q(resolution_due_at__lt=now, resolved_at__isnull=True)
        )
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__iexact=value)
            | Q(subject__icontains=value)
            | Q(txid__iexact=value)
            | Q(order_id=value)
        )

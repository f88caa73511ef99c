from django.contrib import admin, messages
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from sla import services
from sla.forms import SpanField, format_span
from sla.models import BusinessCalendar, BusinessHours, Holiday, SLAPolicy, SLARecord


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]
    inlines = [BusinessHoursInline, HolidayInline]


def _when(value) -> str:
    """As every page writes a moment (tickets.formatting, which sits above this app)."""
    local = timezone.localtime(value)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    """The changelist doubles as the page that shows when a ticket filed now would be due."""

    list_display = [
        "name",
        "name_zh",
        "tier",
        "category",
        "priority_or_any",
        "first_reply_within",
        "resolution_within",
        "warning_percent",
        "calendar",
        "first_reply_due_if_filed_now",
        "resolution_due_if_filed_now",
    ]
    list_filter = ["tier", "priority", "calendar"]
    list_select_related = ["category", "calendar"]
    # Targets typed and shown as "8 h", "2 d", not Django's "1 00:00:00".
    formfield_overrides = {models.DurationField: {"form_class": SpanField}}

    def get_queryset(self, request):
        return (
            super().get_queryset(request).prefetch_related("calendar__hours", "calendar__holidays")
        )

    @admin.display(description=_("priority"))
    def priority_or_any(self, policy):
        return policy.get_priority_display() or _("any")

    @admin.display(description=_("first reply within"), ordering="first_response_target")
    def first_reply_within(self, policy):
        return format_span(policy.first_response_target)

    @admin.display(description=_("resolution within"), ordering="resolution_target")
    def resolution_within(self, policy):
        return format_span(policy.resolution_target)

    @admin.display(description=_("first reply due if filed now"))
    def first_reply_due_if_filed_now(self, policy):
        return _when(services.sla_policy_preview(policy)["first_response"])

    @admin.display(description=_("resolution due if filed now"))
    def resolution_due_if_filed_now(self, policy):
        return _when(services.sla_policy_preview(policy)["resolution"])

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_fallback:
            return ["tier", "category", "priority"]
        return []

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_fallback

    def save_model(self, request, obj, form, change):
        values = {f: form.cleaned_data[f] for f in form.cleaned_data if f in services.POLICY_FIELDS}
        services.sla_policy_save(policy=obj, **values)

    def delete_model(self, request, obj):
        try:
            services.sla_policy_delete(policy=obj)
        except services.PolicyProtected as refused:
            messages.error(request, refused.reason)

    def delete_queryset(self, request, queryset):
        for policy in queryset:
            self.delete_model(request, policy)


@admin.register(SLARecord)
class SLARecordAdmin(admin.ModelAdmin):
    list_display = ["ticket", "tier", "target", "outcome", "due_at", "at"]
    list_filter = ["outcome", "target", "tier"]
    list_select_related = ["ticket"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from mail.models import Bounce, InboundMessage, Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: every mail we recorded, what waits for the mail server and why."""

    list_display = ["id", "kind", "to", "state", "attempts", "next_attempt_at", "short_error"]
    list_filter = ["state", "kind"]
    search_fields = ["to", "key", "message_id", "ticket__reference"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    exclude = ["body_html"]

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:120]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """Read-only: every message received and what the pipeline made of it."""

    list_display = ["id", "received_at", "source", "sender", "subject", "state", "reason_text"]
    list_filter = ["state", "source"]
    search_fields = ["sender", "subject", "message_id"]
    exclude = ["raw"]
    readonly_fields = [f.name for f in InboundMessage._meta.fields if f.name != "raw"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Bounce)
class BounceAdmin(admin.ModelAdmin):
    list_display = ["address", "count", "last_at", "reason"]
    search_fields = ["address"]
    readonly_fields = ["address", "count", "first_at", "last_at", "reason"]

    def has_add_permission(self, request):
        return False

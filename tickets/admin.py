from django.contrib import admin

from tickets.models import (
    Asset,
    Attachment,
    CannedReply,
    Category,
    Message,
    Network,
    Ticket,
    TicketEvent,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_en",
        "name_zh",
        "default_priority",
        "team",
        "sort_order",
        "is_active",
    ]
    list_editable = ["sort_order", "is_active"]
    list_filter = ["is_active", "team", "default_priority"]
    search_fields = ["code", "name_en", "name_zh"]


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "decimals", "approval_limit", "is_active"]


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "family", "is_active"]
    filter_horizontal = ["assets"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ["created_at", "author", "internal", "body"]
    readonly_fields = fields


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["created_at", "original_name", "content_type", "size", "sha256"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = TicketEvent
    fields = [
        "created_at",
        "actor",
        "kind",
        "from_status",
        "to_status",
        "from_tier",
        "to_tier",
        "data",
    ]
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only here: every change to a case goes through the services and their audit trail."""

    list_display = ["reference", "subject", "status", "tier", "priority", "category", "created_at"]
    list_filter = ["status", "tier", "priority", "category", "channel"]
    search_fields = ["reference", "subject", "txid", "order_id", "customer__email"]
    inlines = [MessageInline, AttachmentInline, EventInline]
    list_select_related = ["category"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "is_active"]
    list_editable = ["is_active"]
    list_filter = ["is_active"]
    search_fields = ["title", "body_en", "body_zh"]

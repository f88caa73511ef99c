from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets.models import (
    Asset,
    AssetPrice,
    Attachment,
    CannedReply,
    Category,
    Message,
    Network,
    Ticket,
    TicketEvent,
)
from tickets.selectors import case_scope
from tickets.services import asset_price_set, price_in_force


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


class PriceHistoryInline(admin.TabularInline):
    """Every reference price the asset had: who set it and from when (never edited)."""

    model = AssetPrice
    extra = 0
    can_delete = False
    fields = ["set_at", "price", "currency", "set_by"]
    readonly_fields = fields
    ordering = ["-set_at", "-id"]
    verbose_name_plural = _("reference prices (newest first)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "decimals", "reference_price", "is_active"]
    inlines = [PriceHistoryInline]

    @admin.display(description=_("reference price in force"))
    def reference_price(self, asset) -> str:
        price = price_in_force(asset)
        if price is None:
            return gettext("none: compensation always needs approval")
        return f"{price.price.normalize():f} {price.currency}"


@admin.register(AssetPrice)
class AssetPriceAdmin(admin.ModelAdmin):
    """Admins add a price; a change is a new row, so the history says who set what, when."""

    list_display = ["asset", "price", "currency", "set_at", "set_by"]
    list_filter = ["asset", "currency"]
    fields = ["asset", "price"]
    list_select_related = ["asset", "set_by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = asset_price_set(asset=obj.asset, price=obj.price, actor=request.user)
        obj.pk, obj.set_at, obj.currency, obj.set_by = (
            created.pk,
            created.set_at,
            created.currency,
            created.set_by,
        )
        obj._state.adding = False


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
    fields = ["created_at", "original_name", "content_type", "size", "received_sha256", "sha256"]
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

    def get_queryset(self, request):
        # The same read scope as every other door (tickets.selectors): an admin opens a
        # case outside it on the workbench, where that is recorded.
        return super().get_queryset(request).filter(case_scope(request.user))

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

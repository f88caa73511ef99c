"""Admins set each agent's concurrent-chat limit; the chats and their audit trail are read-only."""

from django.contrib import admin

from chat.models import Chat, ChatAgent, ChatEvent


@admin.register(ChatAgent)
class ChatAgentAdmin(admin.ModelAdmin):
    list_display = ["user", "available", "max_chats", "last_offered_at"]
    list_editable = ["max_chats"]
    fields = ["user", "available", "max_chats"]
    readonly_fields = ["available"]
    raw_id_fields = ["user"]


class ChatEventInline(admin.TabularInline):
    model = ChatEvent
    fields = ["created_at", "kind", "actor", "data"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ["pk", "customer", "state", "category", "agent", "created_at", "ticket"]
    list_filter = ["state", "queue_rank"]
    inlines = [ChatEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import tokens, two_factor
from accounts.models import AccessLink, AccountEvent, ApiToken, CustomerProfile, Team, User


class CustomerProfileInline(admin.StackedInline):
    model = CustomerProfile
    can_delete = False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "full_name",
        "is_staff",
        "is_active",
        "email_verified_at",
        "date_joined",
    ]
    search_fields = ["email", "full_name", "customer_profile__exchange_uid"]
    inlines = [CustomerProfileInline]
    actions = ["invite_to_enrol", "revoke_api_tokens"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined", "email_verified_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    @admin.action(description=_("Invite to enrol an authenticator (mailed, single use, 24 h)"))
    def invite_to_enrol(self, request, queryset):
        sent = 0
        for user in queryset:
            try:
                two_factor.enrolment_invite(user=user, invited_by=request.user, request=request)
            except ValidationError as error:
                self.message_user(request, f"{user.email}: {error.messages[0]}", messages.WARNING)
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d invitation is on its way.",
                    "%(count)d invitations are on their way.",
                    sent,
                )
                % {"count": sent},
                messages.SUCCESS,
            )

    @admin.action(description=_("Revoke every API token of the selected users"))
    def revoke_api_tokens(self, request, queryset):
        revoked = 0
        for token in ApiToken.objects.filter(user__in=queryset, revoked_at__isnull=True):
            tokens.token_revoke(token=token, actor=request.user, request=request)
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: listed and searched, never written by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = [
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "prefix", "name"]
    actions = ["revoke"]
    fields = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]

    @admin.action(description=_("Revoke the selected tokens"), permissions=["view"])
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            tokens.token_revoke(token=token, actor=request.user, request=request)
        self.message_user(request, _("The selected tokens no longer work."), messages.SUCCESS)


@admin.register(AccessLink)
class AccessLinkAdmin(ReadOnlyAdmin):
    list_display = ["kind", "user", "created_by", "created_at", "expires_at", "used_at"]
    list_filter = ["kind"]
    search_fields = ["user__email"]
    fields = ["kind", "user", "created_by", "created_at", "expires_at", "used_at"]


@admin.register(AccountEvent)
class AccountEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "kind", "actor", "ip_address"]
    list_filter = ["kind"]
    search_fields = ["user__email", "ip_address"]
    fields = ["created_at", "user", "kind", "actor", "ip_address", "data"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_zh"]
    filter_horizontal = ["members", "leads"]

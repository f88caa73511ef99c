from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Libraries name their apps for programmers ("OTP_TOTP", "Axes"); the
        # admin's index lists them under names an admin recognizes.
        from django.apps import apps

        for label, name in (
            ("otp_totp", _("Two-factor sign-in (authenticator apps)")),
            ("axes", _("Sign-in attempts and lockouts")),
        ):
            apps.get_app_config(label).verbose_name = name


class RedressAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin whose default site requires two-factor sign-in.

    Listed in INSTALLED_APPS in place of "django.contrib.admin" (Django's documented way to
    replace the default admin site); `default = False` keeps AccountsConfig the config of
    the accounts app itself.
    """

    default = False
    default_site = "accounts.admin_site.RedressAdminSite"

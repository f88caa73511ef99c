from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import CustomerProfile, User


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    full_name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    exchange_uid = forms.CharField(
        label=_("Exchange UID"),
        max_length=64,
        required=False,
        help_text=_("Your user ID on the exchange, shown in your account settings."),
    )
    preferred_language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not a common password."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        language = (get_language() or "en").lower()
        self.fields["preferred_language"].initial = "zh-hans" if language.startswith("zh") else "en"

    def clean_password(self):
        password = self.cleaned_data["password"]
        candidate = User(email=self.data.get("email", ""), full_name=self.data.get("full_name", ""))
        password_validation.validate_password(password, candidate)
        return password


class ProfileForm(forms.ModelForm):
    full_name = forms.CharField(label=_("Your name"), max_length=150, required=False)

    class Meta:
        model = CustomerProfile
        fields = ["exchange_uid", "preferred_language"]


class OTPForm(forms.Form):
    """The second sign-in step for staff: the current code from their authenticator app."""

    otp_token = forms.CharField(
        label=_("Authentication code"),
        max_length=12,
        help_text=_(
            "Enter the 6-digit code from your authenticator app, or one of your backup codes."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "autofocus": True}
        ),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 8 characters, not a common password. Your API tokens stop working, "
            "and other browsers are signed out."
        ),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two new passwords differ."))
        return data


class PasswordForm(forms.Form):
    """The password alone: the first step of enrolment."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class _CodeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Authentication code"))
        kwargs.setdefault("max_length", 16)
        super().__init__(
            widget=forms.TextInput(
                attrs={"autocomplete": "one-time-code", "autocapitalize": "none"}
            ),
            **kwargs,
        )


class TwoFactorChangeForm(PasswordForm):
    """Password and a fresh code: what replacing backup codes or removing the device needs."""

    otp_token = _CodeField(
        help_text=_("The 6-digit code from your authenticator app, or an unused backup code.")
    )


class EnrolCodeForm(forms.Form):
    otp_token = _CodeField(
        help_text=_("The 6-digit code your authenticator app shows now for Redress.")
    )


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

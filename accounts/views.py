from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit, links, lockout, services, tokens, two_factor
from accounts.access import is_verified, staff_page
from accounts.forms import (
    EmailForm,
    EnrolCodeForm,
    OTPForm,
    PasswordChangeForm,
    PasswordForm,
    ProfileForm,
    SignUpForm,
    TwoFactorChangeForm,
)
from accounts.models import AccessLink, AccountEvent, CustomerProfile
from accounts.profile import parts_for as profile_parts
from accounts.roles import is_staff_member

_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _add_errors(form, error: ValidationError) -> None:
    """A service's field-keyed ValidationError onto the form that sent the data."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@sensitive_post_parameters("password")
@never_cache
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("tickets:my_tickets")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.customer_sign_up(request=request, **form.cleaned_data)
        # The same answer whether or not the address has an account: the mail says which.
        request.session["redress_signed_up_as"] = form.cleaned_data["email"]
        return redirect("accounts:sign_up_sent")
    return render(request, "accounts/sign_up.html", {"form": form})


def sign_up_sent(request):
    email = request.session.get("redress_signed_up_as", "")
    return render(request, "accounts/sign_up_sent.html", {"email": email})


@never_cache
def confirm_email(request, token):
    user = services.email_confirm(token=token, request=request)
    if user is None:
        return render(request, "accounts/confirm_email.html", {"confirmed": False}, status=400)
    if request.user.is_authenticated and request.user.pk == user.pk:
        messages.success(request, _("Your email address is confirmed. You can file a complaint."))
        return redirect("tickets:file")
    return render(request, "accounts/confirm_email.html", {"confirmed": True})


@login_required
@require_POST
def confirm_email_resend(request):
    services.email_verification_resend(user=request.user)
    messages.success(
        request,
        _("We sent a new link to %(email)s. It works for %(hours)d hours.")
        % {"email": request.user.email, "hours": settings.REDRESS_EMAIL_VERIFICATION_HOURS},
    )
    return redirect("tickets:file")


def _profile_page(request, *, form=None, password_form=None, status=200):
    instance, _created = CustomerProfile.objects.get_or_create(user=request.user)
    if form is None:
        form = ProfileForm(instance=instance, initial={"full_name": request.user.full_name})
    context = {
        "form": form,
        "password_form": password_form or PasswordChangeForm(),
        "api_tokens": tokens.tokens_active(request.user),
        "is_staff_member": is_staff_member(request.user),
        # What apps above accounts add to the page (mail's preferences): accounts.profile.
        "parts": profile_parts(request),
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
def profile(request):
    if request.method != "POST":
        return _profile_page(request)
    instance, _created = CustomerProfile.objects.get_or_create(user=request.user)
    form = ProfileForm(request.POST, instance=instance)
    if form.is_valid():
        services.profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    return _profile_page(request, form=form, status=400)


@login_required
@require_POST
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def password_change(request):
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            services.password_change(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Your password is changed. Your API tokens no longer work: ask for new ones."),
            )
            return redirect("accounts:profile")
    return _profile_page(request, password_form=form, status=400)


@login_required
@require_POST
def token_revoke(request, token_id):
    token = get_object_or_404(tokens.tokens_active(request.user), pk=token_id)
    tokens.token_revoke(token=token, actor=request.user, request=request)
    messages.success(
        request, _("The token starting %(prefix)s no longer works.") % {"prefix": token.prefix}
    )
    return redirect("accounts:profile")


class SignInView(auth_views.LoginView):
    """Email and password; staff then give the code from their authenticator app (`otp`)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        if is_staff_member(self.request.user):
            return resolve_url(settings.STAFF_LOGIN_REDIRECT_URL)
        return super().get_default_redirect_url()

    def form_valid(self, form):
        user = form.get_user()
        if not is_staff_member(user):
            return super().form_valid(form)
        if not two_factor.has_device(user):
            form.add_error(None, two_factor.NOT_ENROLLED)
            return self.form_invalid(form)
        # Signed in, not verified: StaffVerificationMiddleware keeps this session on the
        # code step until the code is right.
        login(self.request, user)
        return redirect_to_login(self.get_success_url(), reverse("accounts:otp"))


class ResetSetPasswordForm(SetPasswordForm):
    """The reset link's new password: the link proved the mailbox (accounts.services)."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        services.password_reset_complete(user=user, request=getattr(self, "request", None))
        return user


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    form_class = ResetSetPasswordForm

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.request = self.request
        return form


def _next_url(request) -> str:
    url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    safe = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if safe else ""


@sensitive_post_parameters("otp_token")
@never_cache
def otp(request):
    """The second step of staff sign-in: "Enter the 6-digit code from your authenticator app"."""
    user = request.user
    next_url = _next_url(request)
    if not user.is_authenticated:
        return redirect_to_login(next_url or resolve_url(settings.STAFF_LOGIN_REDIRECT_URL))
    if not is_staff_member(user):
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    if is_verified(user):
        return redirect(next_url or settings.STAFF_LOGIN_REDIRECT_URL)
    enrolled = two_factor.has_device(user)
    form = OTPForm(request.POST or None)
    if request.method == "POST" and enrolled and form.is_valid():
        credentials = {"username": user.email}
        if not AxesProxyHandler.is_allowed(request, credentials):
            logout(request)
            return get_lockout_response(request, None, credentials)
        try:
            device = two_factor.code_verify(
                request=request, user=user, code=form.cleaned_data["otp_token"]
            )
        except two_factor.SecondFactorRefused as refusal:
            if getattr(request, "axes_locked_out", False):
                # Locked: start again from the password once the lock lifts. AxesMiddleware
                # answers with the lockout page.
                logout(request)
            form.add_error("otp_token", refusal.message)
        else:
            otp_login(request, device)
            request.session.cycle_key()  # a new session id for the raised privilege
            return redirect(next_url or settings.STAFF_LOGIN_REDIRECT_URL)
    return render(
        request,
        "accounts/otp.html",
        {"form": form, "enrolled": enrolled, "next": next_url},
    )


# --- Past a lockout: the owner's mailed link -------------------------------------


@never_cache
def unlock_request(request):
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        lockout.unlock_request(email=form.cleaned_data["email"])
        return render(request, "accounts/unlock_request.html", {"sent": True})
    return render(request, "accounts/unlock_request.html", {"form": form, "sent": False})


@never_cache
def unlock(request, token):
    # Opening the link changes nothing (mail scanners open links too); the button does.
    link = links.link_find(kind=AccessLink.Kind.UNLOCK, token=token)
    if link is None:
        return render(request, "accounts/unlock.html", {"valid": False}, status=400)
    if request.method == "POST":
        used = links.link_consume(kind=AccessLink.Kind.UNLOCK, token=token)
        if used is None:
            return render(request, "accounts/unlock.html", {"valid": False}, status=400)
        if request.user.is_authenticated and request.user.pk != used.user_id:
            logout(request)
        lockout.grant_unlock(request, used.user)
        audit.record(used.user, AccountEvent.Kind.UNLOCK_USED, request=request)
        messages.success(
            request,
            _("This browser may sign in as %(email)s for the next %(minutes)d minutes.")
            % {
                "email": used.user.email,
                "minutes": settings.AXES_COOLOFF_TIME.total_seconds() // 60,
            },
        )
        return redirect("accounts:login")
    return render(request, "accounts/unlock.html", {"valid": True, "account": link.user})


# --- Staff: enrolling an authenticator, backup codes, removing the device --------

_ENROLMENT_SESSION_KEY = "redress_enrolment"


@sensitive_post_parameters("password", "otp_token")
@never_cache
def enrol(request, token):
    link = two_factor.enrolment_link(token)
    if link is None:
        return render(request, "accounts/enrol.html", {"valid": False}, status=400)
    user = link.user
    state = request.session.get(_ENROLMENT_SESSION_KEY) or {}
    device = None
    if state.get("link") == link.pk:
        device = TOTPDevice.objects.filter(
            pk=state.get("device"), user=user, confirmed=False
        ).first()
    step = request.POST.get("step")
    password_form = PasswordForm(request.POST if step == "password" else None)
    code_form = EnrolCodeForm(request.POST if step == "code" else None)
    if step == "password" and password_form.is_valid():
        try:
            two_factor.password_check(
                request=request, user=user, password=password_form.cleaned_data["password"]
            )
        except ValidationError as error:
            _add_errors(password_form, error)
        else:
            device = two_factor.enrolment_device(user=user)
            request.session[_ENROLMENT_SESSION_KEY] = {"link": link.pk, "device": device.pk}
            return redirect("accounts:enrol", token=token)
    if step == "code" and device is not None and code_form.is_valid():
        try:
            device, codes = two_factor.enrolment_confirm(
                token=token,
                user=user,
                device_id=device.pk,
                code=code_form.cleaned_data["otp_token"],
                request=request,
            )
        except ValidationError as error:
            _add_errors(code_form, error)
        else:
            request.session.pop(_ENROLMENT_SESSION_KEY, None)
            login(request, user, backend=_MODEL_BACKEND)
            otp_login(request, device)
            request.session.cycle_key()
            return render(request, "accounts/backup_codes.html", {"codes": codes, "enrolled": True})
    context = {"valid": True, "account": user, "password_form": password_form}
    if device is not None:
        context.update(
            device=device,
            code_form=code_form,
            qr_code=two_factor.qr_code_svg(device),
            secret=two_factor.secret_base32(device),
        )
    status = 400 if (password_form.errors or code_form.errors) else 200
    return render(request, "accounts/enrol.html", context, status=status)


@staff_page
@sensitive_post_parameters(
    "regenerate-password", "regenerate-otp_token", "remove-password", "remove-otp_token"
)
def security(request):
    user = request.user
    action = request.POST.get("action")
    forms = {
        name: TwoFactorChangeForm(request.POST if action == name else None, prefix=name)
        for name in ("regenerate", "remove")
    }
    form = forms.get(action)
    if form is not None and form.is_valid():
        change = {
            "request": request,
            "user": user,
            "password": form.cleaned_data["password"],
            "code": form.cleaned_data["otp_token"],
        }
        try:
            if action == "regenerate":
                codes = two_factor.backup_codes_regenerate(**change)
            else:
                two_factor.device_remove(**change)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if action == "regenerate":
                return render(request, "accounts/backup_codes.html", {"codes": codes})
            logout(request)
            messages.success(
                request,
                _(
                    "Your authenticator is removed. To sign in again, ask an administrator "
                    "for a new enrolment invitation."
                ),
            )
            return redirect("accounts:login")
    context = {
        "regenerate_form": forms["regenerate"],
        "remove_form": forms["remove"],
        "bound_form": form,
        "devices": TOTPDevice.objects.devices_for_user(user, confirmed=True),
        "backup_codes_left": two_factor.backup_codes_left(user),
        "events": user.account_events.all()[:20],
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "accounts/security.html", context, status=status)

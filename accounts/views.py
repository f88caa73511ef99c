from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from accounts import two_factor
from accounts.access import is_verified
from accounts.forms import OTPForm, ProfileForm, SignUpForm
from accounts.models import CustomerProfile
from accounts.profile import parts_for as profile_parts
from accounts.roles import is_staff_member
from accounts.services import customer_register, profile_update


@sensitive_post_parameters("password")
@never_cache
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("tickets:my_tickets")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = customer_register(**form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome. Your account is ready."))
            return redirect(request.GET.get("next") or "tickets:file")
    return render(request, "accounts/sign_up.html", {"form": form})


@login_required
def profile(request):
    instance, _created = CustomerProfile.objects.get_or_create(user=request.user)
    form = ProfileForm(
        request.POST or None, instance=instance, initial={"full_name": request.user.full_name}
    )
    if request.method == "POST" and form.is_valid():
        profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "parts": profile_parts(request)})


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

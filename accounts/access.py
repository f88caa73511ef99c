"""Who may reach staff pages and staff API actions: staff who signed in with a second factor.

Web views:  wrap with `staff_page` (function views: staff_required, never cached) or
            `method_decorator(staff_required, name="dispatch")` (class-based views).
API views:  add `StaffVerified` to `permission_classes` (it is also in the API's defaults).

A customer asking for a staff page gets 404, as if it did not exist (DESIGN.md: never reveal
what you may not see). Someone not signed in is sent to sign in; a staff member who gave a
password but no code yet is sent to the code step, and comes back afterwards.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import ForcedAuthentication

from accounts.roles import is_staff_member


def is_verified(user) -> bool:
    """Did this user pass the second factor in this session (django-otp's OTPMiddleware)?"""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def staff_required(view):
    """The view is for staff who completed two-factor sign-in; customers get 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(user):
            raise Http404
        if not is_verified(user):
            return redirect_to_login(request.get_full_path(), reverse("accounts:otp"))
        return view(request, *args, **kwargs)

    return wrapper


def email_verified_required(view):
    """A customer files only from a confirmed address; until then the page says how."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not user.email_verified and not is_staff_member(user):
            return render(request, "accounts/confirm_email_first.html")
        return view(request, *args, **kwargs)

    return wrapper


def staff_page(view):
    """Staff who passed two-factor sign-in only (customers get 404); never cached."""
    return staff_required(never_cache(view))


class StaffVerified(BasePermission):
    """Staff reach API actions only with a token (issued after the code) or a verified session.

    Customers pass: this permission only adds the second factor for staff. Tokens are safe
    because TokenView gives staff a token only with a valid code. `ForcedAuthentication` is
    DRF's test client (`APIClient.force_authenticate`); no request in production carries it.
    """

    message = _("Staff must finish two-factor sign-in (the code from the authenticator app).")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not is_staff_member(user):
            return True
        if isinstance(request.successful_authenticator, TokenAuthentication | ForcedAuthentication):
            return True
        return is_verified(user)

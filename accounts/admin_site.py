"""The Django admin behind the same two-factor sign-in as every staff page.

OTPAdminSite (django-otp) admits only users verified by a device. Its own login form asks
for password, device and code at once; this site sends people through the site's sign-in
instead, so there is one way in, one lockout count and one set of messages.
"""

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from accounts.access import is_verified
from accounts.roles import is_staff_member


class RedressAdminSite(OTPAdminSite):
    site_header = _("Redress administration")
    site_title = _("Redress administration")

    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def login(self, request, extra_context=None):
        target = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(target)
        if not is_staff_member(user):
            raise Http404  # as for any staff page: customers do not learn it exists
        if not is_verified(user):
            return redirect_to_login(target, reverse("accounts:otp"))
        if self.has_permission(request):
            return HttpResponseRedirect(target)
        raise PermissionDenied

"""A staff session without the second factor reaches only the code step and sign-out.

After the password, a staff member is signed in but not yet verified (django-otp). Pages
that are not wrapped in `staff_required` (a ticket page shared with customers, the API with
session cookies) would otherwise serve staff data on the password alone. This holds the
whole site closed instead of trusting every view to remember; `staff_required` and
`StaffVerified` still say so where staff pages and actions are declared.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.access import is_verified
from accounts.roles import is_staff_member


class StaffVerificationMiddleware:
    """Install after django_otp.middleware.OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not self._open_path(request.path_info)
            and is_staff_member(user)
            and not is_verified(user)
        ):
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": _(
                            "Finish two-factor sign-in first, or use an API token "
                            "issued with your authenticator code."
                        ),
                        "code": "otp_required",
                    },
                    status=403,
                )
            return redirect_to_login(request.get_full_path(), reverse("accounts:otp"))
        return self.get_response(request)

    @staticmethod
    def _open_path(path: str) -> bool:
        # The enrolment and unlock links are for people who cannot finish signing in yet.
        enrol = reverse("accounts:enrol", args=["-"])[:-2]
        unlock = reverse("accounts:unlock_request")
        return path.startswith((settings.STATIC_URL, enrol, unlock)) or path in {
            reverse("accounts:otp"),
            reverse("accounts:logout"),
            reverse("set_language"),
        }

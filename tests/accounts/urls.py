"""The site's URLs plus stubs to test the gates: a staff page, a staff API action and an
API endpoint anyone may call."""

from django.http import HttpResponse
from django.urls import path
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import StaffVerified, staff_required
from config.urls import urlpatterns as site_urlpatterns


@staff_required
def staff_probe(request):
    return HttpResponse("staff desk")


class StaffProbeAPI(APIView):
    permission_classes = [IsAuthenticated, StaffVerified]

    def get(self, request):
        return Response({"ok": True})


class OpenProbeAPI(APIView):
    """An endpoint anyone may call, like the help center's: the address limit applies."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("api/v1/open-probe/", OpenProbeAPI.as_view(), name="open_probe_api"),
    path("staff/probe/", staff_probe, name="staff_probe"),
    path("api/v1/staff-probe/", StaffProbeAPI.as_view(), name="staff_probe_api"),
    *site_urlpatterns,
]

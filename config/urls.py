from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from tickets import views as ticket_views


def favicon(request):
    """Pages that name no icon (JSON, the browsable API) make browsers ask for this one."""
    return redirect(static("favicon.svg"))


urlpatterns = [
    path("", ticket_views.home, name="home"),
    path("favicon.ico", favicon),
    path("accounts/", include("accounts.urls")),
    path("tickets/", include("tickets.urls")),
    path("tickets/", include("escalation.urls")),
    # The customer's chat (/chat/…) and the staff chat panel (/staff/chats/…).
    path("", include("chat.urls")),
    path("staff/", include("desk.urls")),
    path("mail/", include("mail.urls")),
    # Providers' inbound webhooks (django-anymail), e.g. /anymail/postmark/inbound/.
    path("anymail/", include("anymail.urls")),
    path("help/", include("helpcenter.urls")),
    # The reports area (/staff/reports/) and the rating pages (/tickets/<ref>/rate/…).
    path("", include("reports.urls")),
    path(
        "attachments/<uuid:attachment_id>/download/",
        ticket_views.attachment_download,
        name="attachment_download",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    # The SLA tables moved from the escalation app to sla: old admin links still land.
    re_path(
        r"^admin/escalation/(?P<rest>(?:slapolicy|slarecord|businesscalendar)/.*)$",
        RedirectView.as_view(url="/admin/sla/%(rest)s", query_string=True, permanent=True),
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

handler404 = "config.api_errors.not_found"
handler500 = "config.api_errors.server_error"

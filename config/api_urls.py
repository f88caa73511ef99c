"""The /api/v1/ router: each app's viewsets, in one place."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from escalation.api.views import CaseLifecycleViewSet
from reports.api.views import CaseRatingViewSet, ReportView
from sla.api.views import SLAPolicyViewSet
from tickets.api import views as tickets

router = SimpleRouter()
router.register("categories", tickets.CategoryViewSet, basename="category")
router.register("tickets", tickets.TicketViewSet, basename="ticket")
# The upper tiers' actions on the same paths: tickets/{reference}/appeal/ and the like.
router.register("tickets", CaseLifecycleViewSet, basename="ticket-lifecycle")
# The customer's rating of a resolution: tickets/{reference}/rate/ (reports).
router.register("tickets", CaseRatingViewSet, basename="ticket-rating")
router.register("sla-policies", SLAPolicyViewSet, basename="sla-policy")

urlpatterns = [
    path("auth/token/", tickets.TokenView.as_view(), name="token"),
    path(
        "attachments/<uuid:attachment_id>/download/",
        tickets.AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
    path("reports/<slug:name>/", ReportView.as_view(), name="report"),
    *router.urls,
]

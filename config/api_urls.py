"""The /api/v1/ router: each app's viewsets, in one place."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts import api as accounts
from chat.api.views import AvailabilityView, ChatViewSet
from escalation.api.views import CaseLifecycleViewSet
from helpcenter.api.views import ArticleViewSet, SuggestView
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
router.register("help/articles", ArticleViewSet, basename="help-article")
router.register("chats", ChatViewSet, basename="chat")

urlpatterns = [
    path("auth/token/", accounts.TokenView.as_view(), name="token"),
    path("auth/tokens/", accounts.TokenListView.as_view(), name="token-list"),
    path("auth/tokens/<int:token_id>/", accounts.TokenDetailView.as_view(), name="token-detail"),
    path(
        "attachments/<uuid:attachment_id>/download/",
        tickets.AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
    path("help/suggest/", SuggestView.as_view(), name="help-suggest"),
    path("chat-availability/", AvailabilityView.as_view(), name="chat-availability"),
    path("reports/<slug:name>/", ReportView.as_view(), name="report"),
    *router.urls,
]

from django.urls import path
from rest_framework.routers import SimpleRouter

from tickets.api import views

router = SimpleRouter()
router.register("categories", views.CategoryViewSet, basename="category")
router.register("tickets", views.TicketViewSet, basename="ticket")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path(
        "attachments/<uuid:attachment_id>/download/",
        views.AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
    *router.urls,
]

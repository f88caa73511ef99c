"""The `staff` namespace: the desk's pages, and the upper tiers' staff pages (escalation)."""

from django.urls import path

from desk import views, workbench
from escalation import urls as upper_tiers

app_name = "staff"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.queue_bulk, name="bulk"),
    path("file/", views.file_for_customer, name="file"),
    path("file/fields/", views.category_fields, name="category_fields"),
    path(
        "attachments/<uuid:attachment_id>/preview/",
        views.attachment_preview,
        name="attachment_preview",
    ),
    path("tickets/<str:reference>/", workbench.ticket_workbench, name="ticket"),
    path("tickets/<str:reference>/open-anyway/", workbench.ticket_open_anyway, name="open_anyway"),
    path("tickets/<str:reference>/claim/", workbench.ticket_claim, name="claim"),
    path("tickets/<str:reference>/assign/", workbench.ticket_assign, name="assign"),
    path("tickets/<str:reference>/reply/", workbench.ticket_reply, name="reply"),
    path("tickets/<str:reference>/note/", workbench.ticket_note, name="note"),
    path(
        "tickets/<str:reference>/request-info/", workbench.ticket_request_info, name="request_info"
    ),
    path("tickets/<str:reference>/reject/", workbench.ticket_reject, name="reject"),
    path("tickets/<str:reference>/propose-resolution/", workbench.ticket_propose, name="propose"),
    path("tickets/<str:reference>/escalate/", workbench.ticket_escalate, name="escalate"),
    path("tickets/<str:reference>/priority/", workbench.ticket_priority, name="priority"),
    path("tickets/<str:reference>/category/", workbench.ticket_category, name="category"),
    path("tickets/<str:reference>/merge/", workbench.ticket_merge, name="merge"),
    path(
        "tickets/<str:reference>/delay-notice/", workbench.ticket_delay_notice, name="delay_notice"
    ),
    path("tickets/<str:reference>/presence/", workbench.ticket_presence, name="presence"),
    path("tickets/<str:reference>/canned/", workbench.ticket_canned, name="canned"),
    *upper_tiers.staff_patterns,
]

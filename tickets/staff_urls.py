from django.urls import path

from tickets import committee_views
from tickets import staff_views as views

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
    path("tickets/<str:reference>/", views.ticket_workbench, name="ticket"),
    path("tickets/<str:reference>/claim/", views.ticket_claim, name="claim"),
    path("tickets/<str:reference>/assign/", views.ticket_assign, name="assign"),
    path("tickets/<str:reference>/reply/", views.ticket_reply, name="reply"),
    path("tickets/<str:reference>/note/", views.ticket_note, name="note"),
    path("tickets/<str:reference>/request-info/", views.ticket_request_info, name="request_info"),
    path("tickets/<str:reference>/reject/", views.ticket_reject, name="reject"),
    path("tickets/<str:reference>/propose-resolution/", views.ticket_propose, name="propose"),
    path("tickets/<str:reference>/escalate/", views.ticket_escalate, name="escalate"),
    path("tickets/<str:reference>/priority/", views.ticket_priority, name="priority"),
    path("tickets/<str:reference>/category/", views.ticket_category, name="category"),
    path("tickets/<str:reference>/merge/", views.ticket_merge, name="merge"),
    path("tickets/<str:reference>/presence/", views.ticket_presence, name="presence"),
    path("tickets/<str:reference>/canned/", views.ticket_canned, name="canned"),
    path("approvals/", committee_views.approvals, name="approvals"),
    path("approvals/<int:resolution_id>/approve/", committee_views.approve, name="approve"),
    path("committee/", committee_views.panels, name="committee"),
    path("committee/<str:reference>/", committee_views.case, name="committee_case"),
    path("committee/<str:reference>/vote/", committee_views.vote, name="committee_vote"),
]

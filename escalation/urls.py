"""URLs of the upper tiers: staff pages (in desk's `staff` namespace) and the customer's side.

The customer's pages live under /tickets/<reference>/ beside the case itself; the staff
pages under /staff/, where desk.urls includes `staff_patterns`.
"""

from django.urls import path

from escalation import case_views, views

app_name = "escalation"

urlpatterns = [
    path("<str:reference>/accept/", case_views.accept_resolution, name="accept"),
    path("<str:reference>/appeal/", case_views.appeal, name="appeal"),
    path("<str:reference>/case-file/", case_views.case_file_download, name="case_file"),
]

staff_patterns = [
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:resolution_id>/approve/", views.approve, name="approve"),
    path("approvals/<int:resolution_id>/send-back/", views.send_back, name="send_back"),
    path("committee/", views.panels, name="committee"),
    path("committee/<str:reference>/", views.case, name="committee_case"),
    path("committee/<str:reference>/vote/", views.vote, name="committee_vote"),
    path("committee/<str:reference>/publish/", views.publish, name="committee_publish"),
]

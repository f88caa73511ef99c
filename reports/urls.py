"""The reports area (/staff/reports/) and the customer's rating pages (on the case's path)."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("staff/reports/", views.index, name="index"),
    path("staff/reports/records/", views.records_page, name="records"),
    path("staff/reports/summaries/<int:summary_id>/", views.summary, name="summary"),
    path("staff/reports/<slug:name>/", views.report, name="report"),
    path("tickets/<str:reference>/rate/", views.rate, name="rate"),
    path("tickets/<str:reference>/rate/<str:token>/", views.rate_link, name="rate_link"),
]

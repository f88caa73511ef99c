from django.urls import path

from mail import views

app_name = "mail"

urlpatterns = [
    path("preferences/", views.preferences, name="preferences"),
    path("held/", views.quarantine, name="quarantine"),
    path("held/<int:inbound_id>/message.eml", views.raw_message, name="raw"),
    path("held/<int:inbound_id>/dismiss/", views.dismiss, name="dismiss"),
]

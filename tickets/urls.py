from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.my_tickets, name="my_tickets"),
    path("new/", views.file_ticket, name="file"),
    path("new/fields/", views.category_fields, name="category_fields"),
    path("<str:reference>/", views.ticket_detail, name="detail"),
    path("<str:reference>/reply/", views.ticket_reply, name="reply"),
]

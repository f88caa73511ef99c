from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("chat/", views.start, name="start"),
    path("chat/<int:chat_id>/", views.chat_page, name="chat"),
    path("chat/<int:chat_id>/person/", views.person, name="person"),
    path("chat/<int:chat_id>/end/", views.end, name="end"),
    path("chat/<int:chat_id>/rate/", views.rate, name="rate"),
    path("chat/<int:chat_id>/transcript/", views.transcript, name="transcript"),
    path("chat/files/<uuid:file_id>/", views.file_download, name="file"),
    path("staff/chats/", views.panel, name="panel"),
    path("staff/chats/<int:chat_id>/", views.staff_chat, name="staff_chat"),
    path("staff/chats/<int:chat_id>/accept/", views.accept, name="accept"),
    path("staff/chats/<int:chat_id>/decline/", views.decline, name="decline"),
    path("staff/chats/<int:chat_id>/to-ticket/", views.to_ticket, name="to_ticket"),
]

from django.urls import path

from chat.consumers import ChatConsumer, PanelConsumer

websocket_urlpatterns = [
    path("ws/chats/<int:chat_id>/", ChatConsumer.as_asgi()),
    path("ws/chat-panel/", PanelConsumer.as_asgi()),
]

"""HTTP and the chat's WebSockets from one ASGI application (daphne, uvicorn).

WebSockets are checked twice before a consumer sees them: the Origin must be one of
ALLOWED_HOSTS (no other site's page can open a socket with the visitor's cookies), and the
session names the user, whom the consumers read from it and check may read the chat. A
handshake with an API token (a mobile app's) needs no Origin: a browser's page cannot set
that header, so no other site can send it with the visitor's credentials.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# Django first: the routing below imports models.
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from chat.consumers import token_key  # noqa: E402
from chat.routing import websocket_urlpatterns  # noqa: E402
from config.long_lived import freeze_startup  # noqa: E402

sockets = SessionMiddlewareStack(URLRouter(websocket_urlpatterns))
browser_sockets = AllowedHostsOriginValidator(sockets)


async def websocket_application(scope, receive, send):
    chosen = sockets if token_key(scope) is not None else browser_sockets
    return await chosen(scope, receive, send)


application = ProtocolTypeRouter({"http": django_application, "websocket": websocket_application})
freeze_startup()

"""HTTP and the chat's WebSockets from one ASGI application (daphne, uvicorn).

WebSockets are checked twice before a consumer sees them: the Origin must be one of
ALLOWED_HOSTS (no other site's page can open a socket with the visitor's cookies), and the
session names the user, whom the consumers read from it and check may read the chat.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# Django first: the routing below imports models.
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            SessionMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

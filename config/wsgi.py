import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

from config.long_lived import freeze_startup  # noqa: E402  (needs the apps loaded)

freeze_startup()

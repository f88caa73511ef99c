"""What a web process loads once and keeps, moved out of the garbage collector's way.

A server process imports Django, the apps, the URLconf and both languages' catalogues:
about 170,000 objects that live as long as the process. Python's full collection walks
every one of them each time it runs, and it holds the GIL while it does: 110-160 ms with
every request thread of the process stopped (bench/README.md, "Session 8"). A burst of
chat messages that meets one waits for it. `gc.freeze()` moves what is alive now to a
generation the collector never visits (the gc module's documented use for long-lived
startup state), so a full collection walks only what requests have left since.
"""

import gc

from django.conf import settings
from django.core.cache import caches
from django.urls import get_resolver
from django.utils import translation
from django.utils.module_loading import import_string
from rest_framework.settings import api_settings


def freeze_startup() -> None:
    """Load what the first requests would load lazily, then freeze it all; call once a process.

    Loaded first, because a process's first request paid for each (0.5 s in all, measured):
    the cache backends (their Redis client's modules), the classes that settings name, the
    URLconf with every view it imports, and, per language, the URL names `reverse` looks
    up and the catalogues."""
    caches.all(initialized_only=False)
    for dotted in (settings.MESSAGE_STORAGE, settings.SESSION_SERIALIZER):
        import_string(dotted)
    api_settings.EXCEPTION_HANDLER  # noqa: B018  (imported on first use)
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018  (filled per language on first use)
            translation.gettext("Redress")
    gc.freeze()

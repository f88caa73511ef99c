import pytest

from mail.smtp import Listener
from tests.mail.helpers import Recorder


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free port that our outgoing mail goes to."""
    recorder = Recorder()
    listener = Listener("127.0.0.1", 0, handler=recorder).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.port
    settings.EMAIL_TIMEOUT = 5
    recorder.listener = listener
    yield recorder
    listener.stop()


@pytest.fixture
def inbound_listener():
    """The demo's SMTP listener for inbound mail, on a free port."""
    listener = Listener("127.0.0.1", 0).start()
    yield listener
    listener.stop()

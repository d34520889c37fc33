import re
from types import SimpleNamespace

import pytest

from hub.celery import app as celery_app


@pytest.fixture
def mail(mailoutbox, django_capture_on_commit_callbacks):
    """Account mails as they are sent. The tasks run in-process when the request's transaction
    commits (a worker runs them in production): put the requests in `with mail.sending():`,
    then read `mail.outbox`."""
    celery_app.conf.task_always_eager = True
    yield SimpleNamespace(
        outbox=mailoutbox,
        sending=lambda: django_capture_on_commit_callbacks(execute=True),
    )
    celery_app.conf.task_always_eager = False


def link_in(message) -> str:
    """The path of the one link of the hub in a mail."""
    (path,) = re.findall(r"https?://testserver(/\S+)", message.body)
    return path

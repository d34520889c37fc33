"""The account mails leave through a real Celery worker process: the task is found, reads the
account (or the sign-up) from the database, makes the reset token there and hands the mail to
the configured backend (here Django's file backend, so the test can read what was sent)."""

import time

import pytest

from accounts import tasks
from accounts.models import PendingSignup
from tests.conftest import start_worker, stop_worker
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE = "account-mail-test"  # this worker's own: the suite's shared worker never takes it


def test_a_worker_sends_the_reset_mail_the_links_of_an_e_mail_change_and_of_a_sign_up(
    worker_env, tmp_path
):
    user = UserFactory(username="worker-mail", email="worker-mail@example.com")
    signup = PendingSignup.objects.create(username="newcomer", email="new@example.net")
    env = {
        **worker_env,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path),
    }
    worker = start_worker(env, "--pool=solo", "-Q", QUEUE)
    try:
        base = "https://hub.example.com/"
        tasks.send_password_reset.apply_async(args=[user.email, base], queue=QUEUE)
        tasks.send_email_change.apply_async(args=[user.pk, "new@example.org", base], queue=QUEUE)
        tasks.send_signup.apply_async(args=[signup.pk, base], queue=QUEUE)
        deadline = time.monotonic() + 60
        while len(list(tmp_path.iterdir())) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        sent = "\n".join(path.read_text() for path in sorted(tmp_path.iterdir()))
    finally:
        stop_worker(worker)
    assert "To: worker-mail@example.com" in sent, worker.stdout.read()
    assert "https://hub.example.com/accounts/reset/" in sent
    assert "To: new@example.org" in sent
    assert "https://hub.example.com/accounts/settings/email/confirm/" in sent
    assert "To: new@example.net" in sent
    assert "https://hub.example.com/accounts/signup/confirm/" in sent

"""Sending work to the Celery broker without letting its absence break a request.

Work is always recorded in the database first (an upload's or a job's status says what is to
be done); the message to the broker only says "now". When the broker cannot be reached the
request still succeeds, the user is told the work will start once the workers are reachable,
and the periodic checks that look for unfinished work queue it then.
"""

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def send(task, *args) -> bool:
    """Queue `task(*args)` now (after the caller's transaction committed); False when the
    broker could not be reached, which the periodic checks make up for."""
    try:
        task.apply_async(args=args)
    except Exception as exc:  # any broker failure: the work stays recorded in the database
        log.warning("enqueue failed task=%s args=%s error=%s", task.name, args, exc)
        return False
    return True


def send_on_commit(task, *args) -> None:
    """Queue `task(*args)` once the current transaction commits, like `send`."""
    transaction.on_commit(lambda: send(task, *args))

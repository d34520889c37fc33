"""The moderation's work for the worker: telling owners what was removed from their
repositories."""

from celery import shared_task

from accounts.tasks import MAIL_TASK
from hub.queue import send
from moderation import notices


@shared_task(acks_late=True, ignore_result=True)
def send_content_removed_notices(
    blob_pk: int, release_id: int | None, path: str, everyone: bool, base_url: str
) -> None:
    """Queue one mail for each owner to tell (one task each: a mail server failing for one
    address retries that mail alone)."""
    for owner_id in notices.content_removed_owners(
        blob_pk=blob_pk, release_id=release_id, everyone=everyone
    ):
        send(send_content_removed_notice, owner_id, blob_pk, release_id, path, base_url)


@shared_task(**MAIL_TASK)
def send_content_removed_notice(
    owner_id: int, blob_pk: int, release_id: int | None, path: str, base_url: str
) -> None:
    """Mail one owner the entries of theirs whose content the moderators removed."""
    notices.content_removed_mail_send(
        owner_id=owner_id, blob_pk=blob_pk, release_id=release_id, path=path, base_url=base_url
    )

"""Content the moderators removed as unsafe, as everyone meets it afterwards: the entries
still listed in releases (marked removed, no download), the file page, a download's 410, the
owners' notice on the repository page and their mail, and what others never learn.

The world: alice's public repository holds the content in v1.00 and v1.01; the moderators
remove v1.00's entry. Bob's public mirror and carol's private repository hold the same bytes.
"""

import pytest

from moderation import services
from moderation.tests.conftest import client_for
from releases.models import ReleaseFile
from releases.services.files import file_add_content
from releases.services.releases import release_create
from tests.factories import RepositoryFactory, UserFactory

pytestmark = pytest.mark.django_db

DATA = b"MZ payload: a dropper, say"
REASON = "Malware: the file runs a dropper when loaded."
SITE = "http://testserver/"


@pytest.fixture
def world(owner, other, public_repo, shared_storage):
    v100 = public_repo.releases.get()
    evil = file_add_content(release=v100, path="models/evil.onnx", data=DATA, user=owner)
    file_add_content(release=v100, path="models/fine.txt", data=b"fine", user=owner)
    release_create(repository=public_repo, bump="minor", user=owner, copy_from=v100)
    mirror = RepositoryFactory(owner=other, name="mirror")
    file_add_content(release=mirror.releases.get(), path="copy.onnx", data=DATA, user=other)
    carol = UserFactory(username="carol")
    hush = RepositoryFactory(owner=carol, name="hush", visibility="private")
    file_add_content(release=hush.releases.get(), path="secret.onnx", data=DATA, user=carol)
    return {"evil": evil, "mirror": mirror, "hush": hush, "carol": carol}


def remove(world, moderator, mail):
    with mail.sending():
        services.file_delete_unsafe(
            release_file=world["evil"], moderator=moderator, reason=REASON, base_url=SITE
        )


@pytest.fixture
def removed(world, moderator, mail):
    remove(world, moderator, mail)
    return world


@pytest.fixture
def clients(personas, moderator):
    return {**personas, "moderator": client_for(moderator)}


# Who reads the moderators' reason on alice's public repository.
SEES_REASON = {"owner": True, "other": False, "anonymous": False, "staff": True, "moderator": True}

TREE = "/alice/eth-volatility/releases/v1.01/tree/models"
FILE = "/alice/eth-volatility/releases/v1.01/files/models/evil.onnx"
DOWNLOAD = "/alice/eth-volatility/resolve/v1.01/models/evil.onnx"


@pytest.mark.parametrize("who", SEES_REASON)
def test_a_removed_file_stays_listed_as_removed_without_a_download_link(removed, clients, who):
    for url in [TREE, "/alice/eth-volatility/"]:
        html = clients[who].get(url).content.decode()
        if url == "/alice/eth-volatility/":  # the top of v1.01: a folder, then the notice
            assert "models/" in html
            continue
        assert "Removed from the hub by the moderators as unsafe" in html
        assert DOWNLOAD not in html  # no link that would answer 410
        assert "/resolve/v1.01/models/fine.txt" in html  # the other file is untouched
        assert (REASON in html) is SEES_REASON[who], who
        # Deleting the entry stays the owner's to do.
        assert ("/releases/v1.01/delete/models/evil.onnx" in html) is (who == "owner")


@pytest.mark.parametrize("who", SEES_REASON)
def test_the_file_page_says_it_was_removed_and_why_to_the_owner_and_moderators(
    removed, clients, who
):
    page = clients[who].get(FILE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "The moderators removed this content from the hub as unsafe" in html
    assert (REASON in html) is SEES_REASON[who], who
    assert DOWNLOAD not in html and "/blobs/" not in html


@pytest.mark.parametrize("who", SEES_REASON)
def test_a_download_of_removed_content_is_a_clear_410(removed, clients, who):
    blob_id = ReleaseFile.objects.get(path="copy.onnx").blob.blob_id
    for url in [
        DOWNLOAD,
        f"/blobs/{blob_id}",
        "/alice/eth-volatility/resolve/latest/models/evil.onnx",
    ]:
        # A browser following an old link: a page, with the way back to the repository.
        page = clients[who].get(url, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
        assert page.status_code == 410, url
        html = page.content.decode()
        assert "This file was removed" in html and "removed this content" in html
        assert REASON not in html  # the reason is for the owner, on the hub's pages
        # A script or download client: an RFC 9457 problem it can print.
        answer = clients[who].get(url, HTTP_ACCEPT="*/*")
        assert answer.status_code == 410
        assert answer["Content-Type"] == "application/problem+json"
        assert (
            answer.json()["detail"] == "The moderators removed this content from the hub as unsafe."
        )
    assert (
        'href="/alice/eth-volatility/"'
        in clients[who].get(DOWNLOAD, HTTP_ACCEPT="text/html").content.decode()
    )


@pytest.mark.parametrize("who", SEES_REASON)
def test_the_repository_page_tells_its_owner_and_the_moderators(removed, clients, who):
    html = clients[who].get("/alice/eth-volatility/").content.decode()
    shown = SEES_REASON[who]
    assert ("removed 2 files of" in html) is shown, who  # v1.00's deleted, v1.01's listed
    assert (REASON in html) is shown
    if who == "owner":
        assert "removed 2 files of your repository as unsafe" in html
        assert "(deleted from v1.00)" in html
        assert f'href="{FILE}"' in html


def test_the_notice_names_only_the_owners_own_entries(removed, clients):
    html = clients["other"].get("/bob/mirror/").content.decode()
    assert "removed 1 file of your repository" in html and REASON in html
    assert "/bob/mirror/releases/v1.00/files/copy.onnx" in html
    assert "eth-volatility" not in html and "hush" not in html and "carol" not in html
    # Bob's own page of his copy: marked removed, his reason, no download.
    page = clients["other"].get("/bob/mirror/releases/v1.00/").content.decode()
    assert "Removed from the hub by the moderators as unsafe" in page and REASON in page
    assert "/bob/mirror/resolve/v1.00/copy.onnx" not in page
    # Nothing of the kind on a repository that holds other content.
    assert "removed" not in clients["owner"].get("/alice/").content.decode().lower()


def test_every_owner_holding_the_content_is_mailed_their_own_entries(removed, mail):
    by_owner = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_owner) == ["alice@example.com", "bob@example.com", "carol@example.com"]
    alice = by_owner["alice@example.com"]
    assert "The moderators removed unsafe content from alice/eth-volatility" in alice.subject
    assert "alice/eth-volatility v1.00 models/evil.onnx (deleted from the release)" in alice.body
    assert "alice/eth-volatility v1.01 models/evil.onnx (listed as removed)" in alice.body
    assert f"{SITE}alice/eth-volatility/releases/v1.01/files/models/evil.onnx" in alice.body
    for message in mail.outbox:
        assert REASON in message.body
    # Each mail names its owner's repositories alone: a private one is nobody else's news.
    assert "hush" in by_owner["carol@example.com"].body
    for address in ["alice@example.com", "bob@example.com"]:
        assert "hush" not in by_owner[address].body and "carol" not in by_owner[address].body
    assert "eth-volatility" not in by_owner["bob@example.com"].body


def test_removing_another_copy_of_blocked_content_tells_only_its_owner(removed, moderator, mail):
    mail.outbox.clear()
    copy = ReleaseFile.objects.get(path="copy.onnx")
    with mail.sending():
        services.file_delete_unsafe(
            release_file=copy, moderator=moderator, reason="Same dropper.", base_url=SITE
        )
    (message,) = mail.outbox
    assert message.to == ["bob@example.com"]
    assert "bob/mirror v1.00 copy.onnx (deleted from the release)" in message.body
    assert REASON in message.body  # the content's reason: it was removed for that


def test_banned_and_address_less_owners_get_no_mail(world, moderator, mail):
    services.user_ban(user=world["carol"], moderator=moderator, reason="spam")
    type(world["carol"]).objects.filter(username="bob").update(email="")
    remove(world, moderator, mail)
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_anonymous_visitors_do_not_get_a_cached_page_with_the_old_download_link(
    world, moderator, mail, personas, settings
):
    settings.HUB_PAGE_CACHE_SECONDS = 60
    before = personas["anonymous"].get("/bob/mirror/").content.decode()
    assert "/bob/mirror/resolve/v1.00/copy.onnx" in before
    remove(world, moderator, mail)
    after = personas["anonymous"].get("/bob/mirror/").content.decode()
    assert "/bob/mirror/resolve/v1.00/copy.onnx" not in after
    assert "Removed from the hub by the moderators" in after


def test_the_repository_page_costs_the_same_queries_however_many_removals(
    removed, clients, public_repo
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as counted:
            clients["owner"].get("/alice/eth-volatility/")
        return len(counted)

    clients["owner"].get("/alice/eth-volatility/")  # what a first view fills
    few = queries()
    # Twelve more entries of v1.01 whose content the moderators blocked.
    v101 = public_repo.releases.get(minor=1)
    for n in range(12):
        rf = file_add_content(release=v101, path=f"x{n}.bin", data=b"x%d" % n, user=None)
        type(rf.blob).objects.filter(pk=rf.blob_id).update(
            blocked_at=rf.created_at, blocked_reason=f"reason {n}"
        )
    assert queries() == few
    html = clients["owner"].get("/alice/eth-volatility/").content.decode()
    assert "removed 14 files of your repository" in html and "… and 4 more." in html


def test_the_admin_action_mails_links_to_the_site(removed, moderator, mail):
    from moderation.tests.test_admin import run_action

    mail.outbox.clear()
    copy = ReleaseFile.objects.get(path="copy.onnx")
    with mail.sending():
        run_action(
            client_for(moderator), "releases_releasefile", "delete_unsafe_files", [copy.pk], "x"
        )
    (message,) = mail.outbox
    assert message.to == ["bob@example.com"]
    assert "http://testserver/bob/mirror/" in message.body

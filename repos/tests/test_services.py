import pytest
from django.db import IntegrityError, transaction

from hub.errors import Conflict, Invalid
from repos import services
from repos.models import Repository, RepositoryRedirect, Tag
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    ["", "-lead", "trail-", "has space", "sl/ash", "a" * 97, "settings", "Releases", "new"],
)
def test_it_refuses_bad_repository_names(owner, name):
    with pytest.raises(Invalid):
        RepositoryFactory(owner=owner, name=name)
    assert not Repository.objects.exists()


@pytest.mark.parametrize(
    "name", ["a", "A.b_c-9", "x" * 96, "opengradient-1-hour-volatility-ethusdt1"]
)
def test_it_accepts_good_repository_names(owner, name):
    assert RepositoryFactory(owner=owner, name=name).name == name


def test_names_are_unique_per_owner_whatever_the_case(owner, other):
    RepositoryFactory(owner=owner, name="Model")
    with pytest.raises(Conflict, match="already have"):
        RepositoryFactory(owner=owner, name="model")
    assert RepositoryFactory(owner=other, name="model").owner == other


def test_the_database_enforces_case_insensitive_uniqueness(owner):
    repo = RepositoryFactory(owner=owner, name="Model")
    with pytest.raises(IntegrityError), transaction.atomic():
        Repository.objects.create(owner=owner, name="MODEL", task=repo.task, license=repo.license)


def test_the_database_refuses_malformed_names_and_visibility(owner):
    repo = RepositoryFactory(owner=owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Repository.objects.create(owner=owner, name="../x", task=repo.task, license=repo.license)
    with pytest.raises(IntegrityError), transaction.atomic():
        Repository.objects.filter(pk=repo.pk).update(visibility="secret")


def test_tags_are_normalized():
    assert services.normalize_tags(" Ethereum, time series ,ONNX,onnx,, ") == [
        "ethereum",
        "time-series",
        "onnx",
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (",".join(f"t{i}" for i in range(21)), "at most 20"),
        ("x" * 41, "longer than 40"),
        ("<script>", "only letters"),
    ],
)
def test_it_refuses_bad_tags(owner, raw, message):
    with pytest.raises(Invalid, match=message):
        RepositoryFactory(owner=owner, name="tagged", tags=raw)
    assert not Repository.objects.exists()
    assert not Tag.objects.exists()


def test_update_changes_metadata_and_tags(public_repo):
    services.repository_update(
        repository=public_repo,
        description="# New\n\nBetter.",
        task=public_repo.task,
        license=public_repo.license,
        tags="Solana, onnx",
    )
    public_repo.refresh_from_db()
    assert public_repo.summary == "Better."
    assert "<h1" in public_repo.description_html
    assert sorted(t.name for t in public_repo.tags.all()) == ["onnx", "solana"]


def test_rename_keeps_a_redirect_and_a_new_repo_takes_the_old_name(owner, public_repo):
    services.repository_rename(repository=public_repo, new_name="eth-vol-v2")
    assert RepositoryRedirect.objects.get().old_name == "eth-volatility"
    newcomer = RepositoryFactory(owner=owner, name="eth-volatility")
    assert newcomer.pk != public_repo.pk
    assert not RepositoryRedirect.objects.exists()


def test_renaming_back_drops_the_redirect(public_repo):
    services.repository_rename(repository=public_repo, new_name="other-name")
    services.repository_rename(repository=public_repo, new_name="eth-volatility")
    assert list(RepositoryRedirect.objects.values_list("old_name", flat=True)) == ["other-name"]


def test_rename_to_a_taken_name_changes_nothing(owner, public_repo):
    RepositoryFactory(owner=owner, name="taken")
    with pytest.raises(Conflict, match="already have"):
        services.repository_rename(repository=public_repo, new_name="TAKEN")
    public_repo.refresh_from_db()
    assert public_repo.name == "eth-volatility"
    assert not RepositoryRedirect.objects.exists()


def test_delete_needs_the_name_and_frees_it(owner, public_repo):
    with pytest.raises(Invalid):
        services.repository_delete(repository=public_repo, confirm_name="eth")
    assert Repository.objects.filter(pk=public_repo.pk).exists()
    services.repository_delete(repository=public_repo, confirm_name="eth-volatility")
    assert not Repository.objects.exists()
    assert not RepositoryRedirect.objects.exists()
    assert RepositoryFactory(owner=owner, name="eth-volatility").latest_release.version == "v1.00"

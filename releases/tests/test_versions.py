import threading

import pytest
from django.db import IntegrityError, connection, transaction

from releases.models import Release
from releases.services.releases import next_version, release_create
from repos.models import Repository
from tests.factories import RepositoryFactory, add_releases


@pytest.mark.parametrize(
    ("current", "bump", "expected"),
    [
        (None, "minor", (1, 0)),
        ((1, 4), "minor", (1, 5)),
        ((1, 4), "major", (2, 0)),
        ((1, 99), "minor", (1, 100)),
        ((3, 0), "major", (4, 0)),
    ],
)
def test_next_version(current, bump, expected):
    assert next_version(current, bump) == expected


@pytest.mark.django_db
def test_versions_follow_the_highest_release(owner):
    repo = RepositoryFactory(owner=owner)
    releases = add_releases(repo, "minor", "minor", "major", "minor")
    assert [r.version for r in releases] == ["v1.01", "v1.02", "v2.00", "v2.01"]
    repo.refresh_from_db()
    assert repo.latest_release.version == "v2.01"


@pytest.mark.django_db
def test_versions_display_with_two_digit_minor(owner):
    repo = RepositoryFactory(owner=owner)
    release = Release.objects.create(repository=repo, major=3, minor=7)
    assert release.version == "v3.07"
    assert release.get_absolute_url().endswith("/releases/v3.07/")


@pytest.mark.django_db
def test_the_database_refuses_a_duplicate_version(owner):
    repo = RepositoryFactory(owner=owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Release.objects.create(repository=repo, major=1, minor=0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("bump", ["minor", "major"])
def test_concurrent_releases_get_distinct_numbers(bump):
    repo = RepositoryFactory(name=f"race-{bump}")
    workers = 12
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def create() -> None:
        try:
            barrier.wait()
            release_create(repository=repo, bump=bump)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    versions = sorted(repo.releases.values_list("major", "minor"))
    if bump == "minor":
        assert versions == [(1, n) for n in range(workers + 1)]
    else:
        assert versions == [(1, 0)] + [(n, 0) for n in range(2, workers + 2)]
    repo.refresh_from_db()
    assert (repo.latest_release.major, repo.latest_release.minor) == versions[-1]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_lost_race_retries_with_the_next_number(monkeypatch):
    """If a rival commits the same number first, the constraint refuses ours and we retry."""
    repo = RepositoryFactory(name="lost-race")
    real_create = Release.objects.create
    calls = {"n": 0}

    def rival(major: int, minor: int) -> None:
        try:
            real_create(repository=repo, major=major, minor=minor, notes="rival")
        finally:
            connection.close()

    def create_after_a_rival(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            thread = threading.Thread(target=rival, args=(kwargs["major"], kwargs["minor"]))
            thread.start()
            thread.join()
        return real_create(**kwargs)

    monkeypatch.setattr(Release.objects, "create", create_after_a_rival)
    release = release_create(repository=repo, bump="minor", notes="ours")
    assert release.version == "v1.02"
    assert calls["n"] == 2
    assert list(repo.releases.values_list("notes", flat=True)) == ["ours", "rival", ""]


def test_creating_a_repository_creates_release_v1_00(owner):
    repo = RepositoryFactory(owner=owner, name="opengradient-1-hour-volatility-ethusdt1")
    assert [r.version for r in repo.releases.all()] == ["v1.00"]
    assert repo.latest_release.version == "v1.00"


def test_a_failed_creation_leaves_nothing_behind(owner, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("releases.services.releases.release_create_first", explode)
    with pytest.raises(RuntimeError):
        RepositoryFactory(owner=owner, name="half-made", tags=["onnx"])
    assert not Repository.objects.filter(name="half-made").exists()
    assert not Release.objects.exists()


def test_deleting_a_repository_deletes_its_releases(owner, public_repo):
    from repos import services

    services.repository_delete(repository=public_repo, confirm_name="eth-volatility")
    assert not Release.objects.exists()

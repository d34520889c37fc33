import pytest
from django.urls import reverse

from repos.models import Repository, RepositoryRedirect, Task
from tests.factories import RepositoryFactory, add_releases
from tests.hostile_markdown import nested_list
from tests.personas import who_may_read

pytestmark = pytest.mark.django_db

READ_PAGES = ["repo_detail", "release_list"]
MANAGE_PAGES = ["repo_edit", "repo_settings", "release_create"]


def url(repo, view, **kwargs):
    return reverse(view, kwargs={"owner": repo.owner.username, "name": repo.name, **kwargs})


def status(response):
    if response.status_code == 302:
        return "login" if response["Location"].startswith(reverse("login")) else 302
    return response.status_code


@pytest.mark.parametrize("view", [*READ_PAGES, "release_detail"])
@who_may_read
def test_read_pages_by_persona(personas, owner, view, visibility, expected):
    repo = RepositoryFactory(owner=owner, visibility=visibility)
    kwargs = {"version": (1, 0)} if view == "release_detail" else {}
    got = {who: status(c.get(url(repo, view, **kwargs))) for who, c in personas.items()}
    assert got == expected


@pytest.mark.parametrize("view", MANAGE_PAGES)
@pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        ("public", {"owner": 200, "other": 403, "anonymous": "login", "staff": 403}),
        ("private", {"owner": 200, "other": 404, "anonymous": "login", "staff": 403}),
    ],
)
def test_manage_pages_by_persona(personas, owner, view, visibility, expected):
    repo = RepositoryFactory(owner=owner, visibility=visibility)
    got = {who: status(c.get(url(repo, view))) for who, c in personas.items()}
    assert got == expected


@pytest.mark.parametrize(
    ("view", "data"),
    [
        ("repo_rename", {"name": "stolen"}),
        ("repo_visibility", {"visibility": "private"}),
        ("repo_delete", {"confirm_name": "eth-volatility"}),
        ("repo_edit", {"task": "", "license": "", "description": "pwned"}),
        ("release_create", {"bump": "major", "notes": "pwned"}),
    ],
)
def test_only_the_owner_can_change_a_repository(personas, public_repo, view, data):
    for who in ("other", "anonymous", "staff"):
        response = personas[who].post(url(public_repo, view), data)
        assert status(response) in (403, "login"), who
    public_repo.refresh_from_db()
    assert (public_repo.name, public_repo.visibility) == ("eth-volatility", "public")
    assert public_repo.releases.count() == 1
    assert "pwned" not in public_repo.description


def test_a_private_repository_is_hidden_from_every_list(personas, owner, private_repo, public_repo):
    pages = [
        reverse("home"),
        reverse("model_list"),
        reverse("model_list") + "?q=secret",
        reverse("model_list") + "?task=defi-forecasting",
        reverse("model_list") + "?license=MIT",
        reverse("user_detail", kwargs={"username": owner.username}),
    ]
    for who, client in personas.items():
        for page in pages:
            content = client.get(page).content.decode()
            visible = who in ("owner", "staff")
            assert ("secret-model" in content) is visible, (who, page)
            assert "eth-volatility" in content or "q=secret" in page


def test_counts_do_not_reveal_private_repositories(personas, owner, private_repo, public_repo):
    defi = Task.objects.get(slug="defi-forecasting")
    for who, client in personas.items():
        expected = 2 if who in ("owner", "staff") else 1
        response = client.get(reverse("model_list"))
        assert response.context["page"].paginator.count == expected, who
        counts = {t.pk: t.repo_count for t in response.context["tasks"]}
        assert counts[defi.pk] == expected, who
        profile = client.get(reverse("user_detail", kwargs={"username": owner.username}))
        assert profile.context["page"].paginator.count == expected, who


def test_popular_tags_count_only_readable_repositories(personas, owner):
    RepositoryFactory(owner=owner, name="a", tags=["shared"])
    RepositoryFactory(owner=owner, name="b", tags=["shared", "hidden-tag"], visibility="private")
    tags = {t.name: t.repo_count for t in personas["other"].get("/").context["popular_tags"]}
    assert tags == {"shared": 1}
    tags = {t.name: t.repo_count for t in personas["owner"].get("/").context["popular_tags"]}
    assert tags == {"shared": 2, "hidden-tag": 1}


def test_user_page_404_for_unknown_user(client):
    assert client.get(reverse("user_detail", kwargs={"username": "ghost"})).status_code == 404


def test_create_repository(personas, owner):
    response = personas["owner"].post(
        reverse("repo_create"),
        {
            "name": "eth-1h-volatility",
            "task": "1",
            "license": "1",
            "tags": "Ethereum, time series",
            "visibility": "private",
            "description": "# Hello\n\n<script>x</script>",
        },
    )
    repo = Repository.objects.get(name="eth-1h-volatility")
    assert response.status_code == 302
    assert response["Location"] == repo.get_absolute_url()
    assert repo.owner == owner and repo.visibility == "private"
    assert sorted(t.name for t in repo.tags.all()) == ["ethereum", "time-series"]
    page = personas["owner"].get(repo.get_absolute_url()).content.decode()
    assert "<h1" in page and "<script>x" not in page
    assert "v1.00" in page


def test_create_repository_with_bad_input_shows_errors_and_changes_nothing(personas):
    response = personas["owner"].post(
        reverse("repo_create"),
        {"name": "bad name", "task": "", "license": "99", "tags": "x" * 41, "visibility": "x"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"name", "task", "license", "tags", "visibility"}
    assert not Repository.objects.exists()


def test_create_needs_login(client):
    response = client.get(reverse("repo_create"))
    assert status(response) == "login"


def test_edit_metadata(personas, public_repo):
    response = personas["owner"].post(
        url(public_repo, "repo_edit"),
        {"description": "Updated card", "task": "2", "license": "2", "tags": "a, b"},
    )
    assert response.status_code == 302
    public_repo.refresh_from_db()
    assert public_repo.description == "Updated card"
    assert [t.name for t in public_repo.tags.all()] == ["a", "b"]


def test_edit_with_bad_tags_changes_nothing(personas, public_repo):
    response = personas["owner"].post(
        url(public_repo, "repo_edit"),
        {"description": "Changed", "task": "2", "license": "2", "tags": "<b>"},
    )
    assert response.status_code == 200
    assert "tags" in response.context["form"].errors
    public_repo.refresh_from_db()
    assert public_repo.description != "Changed"
    assert sorted(t.name for t in public_repo.tags.all()) == ["ethereum", "onnx"]


def test_rename_redirects_old_urls_permanently(personas, public_repo):
    add_releases(public_repo, "minor")
    old_repo_url = url(public_repo, "repo_detail")
    old_release_url = url(public_repo, "release_detail", version=(1, 1))
    response = personas["owner"].post(url(public_repo, "repo_rename"), {"name": "eth-vol-2"})
    assert response.status_code == 302
    for client in personas.values():
        response = client.get(old_repo_url + "?tab=x")
        assert response.status_code == 301
        assert response["Location"] == "/alice/eth-vol-2/?tab=x"
        response = client.get(old_release_url)
        assert response.status_code == 301
        assert response["Location"] == "/alice/eth-vol-2/releases/v1.01/"


def test_old_urls_of_a_private_repository_stay_hidden(personas, private_repo):
    old = url(private_repo, "repo_detail")
    personas["owner"].post(url(private_repo, "repo_rename"), {"name": "renamed-secret"})
    assert personas["other"].get(old).status_code == 404
    assert personas["anonymous"].get(old).status_code == 404
    assert personas["staff"].get(old).status_code == 301
    assert personas["owner"].get(old)["Location"] == "/alice/renamed-secret/"


def test_rename_to_a_bad_or_taken_name_shows_an_error(personas, owner, public_repo):
    RepositoryFactory(owner=owner, name="taken")
    for name, message in [("taken", "already have"), ("a b", "letters"), ("admin", "reserved")]:
        response = personas["owner"].post(url(public_repo, "repo_rename"), {"name": name})
        assert response.status_code == 400
        assert message in str(response.context["rename_form"].errors)
    assert not RepositoryRedirect.objects.exists()


def test_visibility_change(personas, public_repo):
    response = personas["owner"].post(
        url(public_repo, "repo_visibility"), {"visibility": "private"}
    )
    assert response.status_code == 302
    assert personas["other"].get(url(public_repo, "repo_detail")).status_code == 404
    response = personas["owner"].post(url(public_repo, "repo_visibility"), {"visibility": "nope"})
    assert response.status_code == 400


def test_delete_needs_the_typed_name(personas, owner, public_repo):
    response = personas["owner"].post(url(public_repo, "repo_delete"), {"confirm_name": "eth"})
    assert response.status_code == 400
    assert Repository.objects.filter(pk=public_repo.pk).exists()
    response = personas["owner"].post(
        url(public_repo, "repo_delete"), {"confirm_name": "eth-volatility"}
    )
    assert response.status_code == 302
    assert response["Location"] == owner.get_absolute_url()
    assert not Repository.objects.filter(pk=public_repo.pk).exists()
    assert personas["owner"].get(url(public_repo, "repo_detail")).status_code == 404


def test_repository_page_shows_metadata_releases_and_empty_files(personas, public_repo):
    add_releases(public_repo, "minor", "major")
    page = personas["anonymous"].get(url(public_repo, "repo_detail")).content.decode()
    assert page.index("v2.00") < page.index("v1.01") < page.index("v1.00")
    for text in ("DeFi Forecasting", "MIT", "ethereum", "No files in this release yet"):
        assert text in page


def test_markdown_preview_needs_login_and_is_sanitized(personas):
    preview = reverse("markdownx_markdownify")
    response = personas["anonymous"].post(preview, {"content": "# x"})
    assert status(response) == "login"
    response = personas["other"].post(preview, {"content": "# Hi\n<script>alert(1)</script>"})
    assert response.status_code == 200
    assert b'<h1 id="user-content-hi">Hi</h1>' in response.content
    assert b"script" not in response.content


def test_a_refused_edit_says_why_at_the_top_of_the_form(personas, public_repo):
    form = {"description": nested_list(300), "task": "2", "license": "2", "tags": "a"}
    page = personas["owner"].post(url(public_repo, "repo_edit"), form).content.decode()
    summary = page.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert '<a href="#id_description">' in summary and "nested too deeply" in summary
    assert page.index('role="alert"') < page.index('id="id_description"')


def test_markdown_previews_are_limited_per_user(personas, settings):
    settings.HUB_EDITOR_PREVIEWS_PER_MINUTE = 3
    preview = reverse("markdownx_markdownify")
    answers = [personas["other"].post(preview, {"content": "# x"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1]["Retry-After"] == "60"
    assert personas["owner"].post(preview, {"content": "# x"}).status_code == 200  # per user


def test_other_spellings_redirect_to_the_canonical_url(personas, public_repo):
    response = personas["anonymous"].get("/ALICE/Eth-Volatility/releases/v1.00/")
    assert response.status_code == 301
    assert response["Location"] == "/alice/eth-volatility/releases/v1.00/"


def test_admin_pages_work_for_staff_and_only_for_staff(client, personas, public_repo):
    from tests.factories import UserFactory

    admin_user = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    release = public_repo.latest_release
    pages = [
        "/admin/",
        "/admin/repos/repository/",
        f"/admin/repos/repository/{public_repo.pk}/change/",
        "/admin/repos/task/",
        "/admin/repos/license/",
        "/admin/repos/tag/",
        "/admin/releases/release/",
        f"/admin/releases/release/{release.pk}/change/",
        "/admin/accounts/user/",
    ]
    for page in pages:
        assert client.get(page).status_code == 200, page
        assert status(personas["other"].get(page)) == 302, page  # sent to the admin login


def test_cached_counts_follow_the_owners_changes(
    personas, owner, private_repo, django_capture_on_commit_callbacks
):
    defi = Task.objects.get(slug="defi-forecasting")

    def count(who):
        tasks = personas[who].get(reverse("model_list")).context["tasks"]
        return {t.pk: t.repo_count for t in tasks}[defi.pk]

    assert (count("owner"), count("other")) == (1, 0)
    with django_capture_on_commit_callbacks(execute=True):  # the cache is dropped on commit
        RepositoryFactory(owner=owner, name="second-secret", visibility="private")
    assert (count("owner"), count("other")) == (2, 0)
    with django_capture_on_commit_callbacks(execute=True):
        personas["owner"].post(url(private_repo, "repo_visibility"), {"visibility": "public"})
    assert (count("owner"), count("other")) == (2, 1)

"""The admin lists' quick rows write the same rows, links and checkboxes as Django's own."""

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_list import items_for_result
from django.contrib.admin.utils import quote
from django.db.models import DateTimeField
from django.urls import reverse
from django.utils import timezone

from hub.admin_rows import quick_result_list
from hub.admin_tools import QuickRowsAdmin, admin_link, change_url
from inference.models import InferenceJob
from moderation import services
from moderation.tests.conftest import client_for
from releases.models import ReleaseFile
from releases.services.files import file_add_content
from repos.models import Repository
from tests.factories import RepositoryFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_change_urls_are_the_ones_django_reverses(owner):
    repo = RepositoryFactory(owner=owner, name="m")
    for obj in (repo, owner, repo.releases.get()):
        opts = obj._meta
        name = f"admin:{opts.app_label}_{opts.model_name}_change"
        assert change_url(obj) == reverse(name, args=[quote(obj.pk)])
    assert admin_link(repo) == f'<a href="/admin/repos/repository/{repo.pk}/change/">alice/m</a>'
    assert admin_link(None) == "—"


def test_the_checkbox_is_the_one_django_renders(owner):
    repo = RepositoryFactory(owner=owner, name="m.v2")
    model_admin = admin.site._registry[Repository]
    assert isinstance(model_admin, QuickRowsAdmin)
    assert model_admin.action_checkbox(repo) == admin.ModelAdmin.action_checkbox(model_admin, repo)


def test_rows_of_a_filtered_list_link_to_their_page_keeping_the_filters(moderator, owner):
    repo = RepositoryFactory(owner=owner, name="reported")
    report = services.report_create(
        repository=repo, reporter=UserFactory(username="r"), reason="spam", text=""
    )
    client = client_for(moderator)
    html = client.get("/admin/moderation/report/?status__exact=open").content.decode()
    page = f"/admin/moderation/report/{report.pk}/change/"
    assert f'href="{page}?_changelist_filters=status__exact%3Dopen"' in html
    # Unfiltered, the link is the bare page; the page keeps the selection checkbox.
    html = client.get("/admin/moderation/report/").content.decode()
    assert f'href="{page}"' in html
    assert f'name="_selected_action" value="{report.pk}" class="action-select"' in html


def _django_time(original):
    """Django's cell values, with times in the lists' own format (`hub.admin_rows`)."""

    def display(value, field, *args, **kwargs):
        if isinstance(field, DateTimeField) and value is not None:
            return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
        return original(value, field, *args, **kwargs)

    return display


def test_every_quick_list_renders_the_rows_django_renders(
    staff, owner, moderator, local_storage, monkeypatch
):
    """For each list of a QuickRowsAdmin, with rows of every kind of column (links, counts,
    choices, related rows, empty values, times, the checkbox) and with filters kept in the
    row links: the rows of the page equal those of Django's `items_for_result`."""
    repo = RepositoryFactory(owner=owner, name="a.b", tags=["onnx"])
    RepositoryFactory(owner=owner, name="private-one", visibility="private")
    file_add_content(release=repo.latest_release, path="a/b.txt", data=b"hi", user=owner)
    report = services.report_create(
        repository=repo, reporter=UserFactory(username="r"), reason="spam", text="<b>" * 60
    )
    services.repository_hide(repository=repo, moderator=moderator, reason="Spam & <more>")
    services.report_close(report=report, moderator=moderator, status="dismissed")
    rf = ReleaseFile.objects.get()
    InferenceJob.objects.create(
        file=rf,
        repository=repo,
        model_id=rf.blob.blob_id,
        file_label="x",
        requested_by=staff,
        inputs={},
        input_sha256="0" * 64,
        backend="local",
        status="failed",
    )
    monkeypatch.setattr(admin_list, "display_for_field", _django_time(admin_list.display_for_field))
    client = client_for(staff)
    lists = [m for m in admin.site._registry.values() if isinstance(m, QuickRowsAdmin)]
    assert len(lists) >= 6
    for model_admin in lists:
        opts = model_admin.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        for query in ("", "?o=-1", "?q=a" if model_admin.search_fields else "?o=1"):
            response = client.get(url + query)
            assert response.status_code == 200, url + query
            cl = response.context["cl"]
            assert cl.result_list, f"{url}{query} lists nothing to compare"
            ours = [row[0] for row in quick_result_list(cl)["results"]]
            theirs = ["".join(items_for_result(cl, obj, None)) for obj in cl.result_list]
            assert ours == theirs, url + query
            html = response.content.decode()
            assert all(f"<tr>{row}</tr>" in html for row in ours)

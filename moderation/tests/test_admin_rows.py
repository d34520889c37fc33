"""The admin lists' quick rows write the same links and checkboxes as Django's own."""

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.urls import reverse

from hub.admin_tools import QuickRowsAdmin, admin_link, change_url
from moderation import services
from moderation.tests.conftest import client_for
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

import pytest
from django.core.management import CommandError, call_command

from repos.models import Repository

pytestmark = pytest.mark.django_db


def test_demo_data_fills_an_empty_hub_once(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    repos = Repository.objects.all()
    assert repos.count() == 6
    assert all(r.visibility == "public" and "<h1" in r.description_html for r in repos)
    assert sum("<table>" in r.description_html for r in repos) >= 4
    assert sum('<div class="highlight">' in r.description_html for r in repos) >= 4
    call_command("seed_demo")
    assert Repository.objects.count() == 6


def test_demo_data_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not Repository.objects.exists()

import pytest
from django.core.management import CommandError, call_command

from releases.models import ReleaseFile
from repos.models import Repository

pytestmark = pytest.mark.django_db


def test_demo_data_fills_an_empty_hub_once(settings, tmp_path):
    settings.DEBUG = True
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    call_command("seed_demo")
    repos = Repository.objects.all()
    assert repos.count() == 6
    assert all(r.visibility == "public" and "<h1" in r.description_html for r in repos)
    assert sum("<table>" in r.description_html for r in repos) >= 4
    assert sum('<div class="highlight">' in r.description_html for r in repos) >= 4
    onnx_files = ReleaseFile.objects.filter(path__endswith=".onnx").select_related("blob")
    assert onnx_files.count() == 3
    for rf in onnx_files:
        assert rf.blob.onnx_status == "valid", rf.blob.onnx_error
        assert rf.blob.onnx_signature["inputs"] and rf.blob.onnx_signature["outputs"]
    call_command("seed_demo")
    assert Repository.objects.count() == 6


def test_demo_data_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not Repository.objects.exists()

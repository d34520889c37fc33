"""netron's web viewer is served from the installed package as static/netron/: its JavaScript,
styles and metadata, never its Python modules nor the page of netron's public site."""

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage

from hub.staticfiles import PackageFinder, package_folder


def test_the_viewer_s_files_come_from_the_installed_package():
    listed = {path for path, _storage in PackageFinder().list([])}
    assert {"view.js", "browser.js", "grapher.css", "onnx.js", "onnx-metadata.json"} <= listed
    assert not [p for p in listed if p.endswith((".py", ".pyc")) or "__pycache__" in p]
    assert "index.html" not in listed
    found = finders.find("netron/view.js")
    assert found == str(package_folder("netron") / "view.js")
    assert finders.find("netron/server.py") is None
    assert finders.find("netron/index.html") is None


def test_collectstatic_gave_them_hashed_names_like_the_hub_s_own():
    # The suite runs on the manifest storage that production uses (collectstatic first).
    url = staticfiles_storage.url("netron/view.js")
    assert (
        url.startswith("/static/netron/view.")
        and url.endswith(".js")
        and url != "/static/netron/view.js"
    )

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path, register_converter

from hub import editor
from hub.converters import NameConverter, VersionConverter
from moderation import views as moderation_views
from releases import api_hf, api_v0
from releases import ipfs as ipfs_gateway
from releases.api_v1 import api as api_v1
from releases.views import api as upload_api
from releases.views import compare as compare_views
from releases.views import files as file_views
from releases.views import graph as graph_views
from releases.views import pages as release_views
from repos import views as repo_views

register_converter(NameConverter, "name")
register_converter(VersionConverter, "version")

repo_patterns = [
    path("", release_views.repo_detail, name="repo_detail"),
    path("edit/", repo_views.repo_edit, name="repo_edit"),
    path("settings/", repo_views.repo_settings, name="repo_settings"),
    path("settings/rename/", repo_views.repo_rename, name="repo_rename"),
    path("settings/visibility/", repo_views.repo_visibility, name="repo_visibility"),
    path("settings/delete/", repo_views.repo_delete, name="repo_delete"),
    path("star", repo_views.repo_star, name="repo_star"),
    path("report/", moderation_views.repo_report, name="repo_report"),
    path("report/sent/", moderation_views.repo_report_sent, name="repo_report_sent"),
    path("releases/", release_views.release_list, name="release_list"),
    path("releases/new/", release_views.release_create, name="release_create"),
    path("releases/<version:version>/", release_views.release_detail, name="release_detail"),
    path("compare/", compare_views.compare_pick, name="compare_pick"),
    path(
        "compare/<version:base>...<version:head>",
        compare_views.release_compare,
        name="release_compare",
    ),
    path("releases/<version:version>/copy", file_views.release_copy, name="release_copy"),
    path("releases/<version:version>/zip", file_views.release_zip, name="release_zip"),
    path(
        "releases/<version:version>/tree/<path:path>",
        release_views.release_tree,
        name="release_tree",
    ),
    path(
        "releases/<version:version>/files/<path:path>",
        file_views.file_detail,
        name="file_detail",
    ),
    path(
        "releases/<version:version>/graph/<path:path>",
        graph_views.file_graph,
        name="file_graph",
    ),
    path(
        "releases/<version:version>/graph-frame/<path:path>",
        graph_views.file_graph_frame,
        name="file_graph_frame",
    ),
    path(
        "releases/<version:version>/delete/<path:path>",
        file_views.file_delete,
        name="file_delete",
    ),
    path("resolve/latest/<path:path>", file_views.resolve_latest, name="resolve_latest"),
    # Downloads by path, also for huggingface_hub's revisions (main, 1.01, a commit id).
    path("resolve/<version:version>/<path:path>", api_hf.views.resolve, name="resolve"),
    path("resolve/<str:revision>/<path:path>", api_hf.views.resolve, name="resolve_revision"),
    # huggingface_hub's commitUrl, for people: the release's page.
    path("commit/<str:revision>", api_hf.upload_views.commit_page, name="hf_commit_page"),
]

# The API (/api/v1/): the uploader's endpoints (releases/views/api.py, also used by scripts)
# and the rest of the API, built with django-ninja (releases/api_v1/).
api_release = "repos/<name:owner>/<name:name>/releases/<version:version>"
api_patterns = [
    path(f"{api_release}/plan", upload_api.files_plan, name="files_plan"),
    path(f"{api_release}/link", upload_api.files_link, name="files_link"),
    path(f"{api_release}/uploads", upload_api.upload_start, name="upload_start"),
    path("uploads/<uuid:upload_id>", upload_api.upload_detail, name="upload_detail"),
    path(
        "uploads/<uuid:upload_id>/chunks/<int:index>",
        upload_api.upload_chunk,
        name="upload_chunk",
    ),
    path("uploads/<uuid:upload_id>/parts", upload_api.upload_parts, name="upload_parts"),
]


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """/favicon.ico, which browsers ask for on pages without a <link rel="icon">: the logo."""
    return HttpResponseRedirect(static("img/logo.svg"))


urlpatterns = [
    path("", repo_views.home, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("models", repo_views.model_list, name="model_list"),
    path("new", release_views.repo_create, name="repo_create"),
    path("accounts/", include("accounts.urls")),
    path("blobs/<str:blob_id>", file_views.blob_download, name="blob_download"),
    path("ipfs/<str:cid>", ipfs_gateway.gateway, name="ipfs_gateway"),
    path("api/v1/", include(api_patterns)),
    path("api/v1/", api_v1.urls),
    path("api/v0/", include(api_v0.urlpatterns)),  # the OpenGradient SDK (releases/api_v0/)
    path("api/models/", include(api_hf.urlpatterns)),  # huggingface_hub (releases/api_hf/)
    path("api/lfs/", include(api_hf.lfs_patterns)),  # its upload URLs, signed
    path("api/validate-yaml", api_hf.upload_views.validate_yaml, name="hf_validate_yaml"),
    path("inference/", include("inference.urls")),
    path("admin/", admin.site.urls),
    # The editor's live preview, for signed-in users only. (Its image upload is not routed:
    # pictures in model cards are linked by URL.)
    path("markdownx/markdownify/", editor.markdownify, name="markdownx_markdownify"),
]
urlpatterns += [
    # huggingface_hub's LFS batch (the git remote's address, as the client builds it).
    path(
        "<name:owner>/<name:name>.git/info/lfs/objects/batch",
        api_hf.upload_views.lfs_batch,
        name="hf_lfs_batch",
    ),
    path("<name:username>/", repo_views.user_detail, name="user_detail"),
    path("<name:owner>/<name:name>/", include(repo_patterns)),
]

admin.site.site_header = "Model Hub administration"
admin.site.site_title = "Model Hub admin"

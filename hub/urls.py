from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path, register_converter
from django.views.decorators.http import require_POST
from markdownx.views import ImageUploadView, MarkdownifyView

from hub.converters import NameConverter, VersionConverter
from releases import views as release_views
from repos import views as repo_views

register_converter(NameConverter, "name")
register_converter(VersionConverter, "version")

repo_patterns = [
    path("", repo_views.repo_detail, name="repo_detail"),
    path("edit/", repo_views.repo_edit, name="repo_edit"),
    path("settings/", repo_views.repo_settings, name="repo_settings"),
    path("settings/rename/", repo_views.repo_rename, name="repo_rename"),
    path("settings/visibility/", repo_views.repo_visibility, name="repo_visibility"),
    path("settings/delete/", repo_views.repo_delete, name="repo_delete"),
    path("releases/", release_views.release_list, name="release_list"),
    path("releases/new/", release_views.release_create, name="release_create"),
    path("releases/<version:version>/", release_views.release_detail, name="release_detail"),
]

urlpatterns = [
    path("", repo_views.home, name="home"),
    path("models", repo_views.model_list, name="model_list"),
    path("new", repo_views.repo_create, name="repo_create"),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    # The editor's preview and image upload, for signed-in users only.
    path(
        "markdownx/markdownify/",
        require_POST(login_required(MarkdownifyView.as_view())),
        name="markdownx_markdownify",
    ),
    path(
        "markdownx/upload/",
        require_POST(login_required(ImageUploadView.as_view())),
        name="markdownx_upload",
    ),
]
if settings.DEBUG:
    # Images pasted into the Markdown editor; production serves them from the storage backend.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
urlpatterns += [
    path("<name:username>/", repo_views.user_detail, name="user_detail"),
    path("<name:owner>/<name:name>/", include(repo_patterns)),
]

admin.site.site_header = "Model Hub administration"
admin.site.site_title = "Model Hub admin"

"""`huggingface_hub`'s wire format: a front door for the unmodified Hugging Face client
(`HF_ENDPOINT=<hub>` or `endpoint=`), downloads and uploads.

A `repo_id` is `owner/name`; a revision is a release (`v1.01` or `1.01`), `main` (the newest
release) or the release's commit id (`revisions.py`). `/api/models/…` answers `model_info`
and the tree listing; `resolve` (routed in hub/urls.py at the site's own
`/<owner>/<name>/resolve/<revision>/<path>`) serves the bytes through `releases.downloads`
with the headers the client relies on. Uploads (`upload_views.py`) are the client's own
protocol: preupload and commit (`commits.py`), and LFS transfers whose upload URLs carry their
own credential (`lfs.py`, under `/api/lfs/`; the batch is at `/<owner>/<name>.git/…`, routed
in hub/urls.py). Who may read and change what is the selectors' and services'; errors carry
the client's `X-Error-Code` in the one mapping of `views.py`.
"""

from django.urls import path

from releases.api_hf import upload_views, views

repo = "<str:owner>/<str:name>"  # checked by the selectors
urlpatterns = [
    path(f"{repo}", views.model_info, name="hf_model_info"),
    path(f"{repo}/revision/<str:revision>", views.model_info, name="hf_model_info_revision"),
    path(f"{repo}/tree/<str:revision>", views.tree, name="hf_tree"),
    path(f"{repo}/tree/<str:revision>/<path:path>", views.tree, name="hf_tree_path"),
    path(f"{repo}/preupload/<str:revision>", upload_views.preupload, name="hf_preupload"),
    path(f"{repo}/commit/<str:revision>", upload_views.commit, name="hf_commit"),
    path(
        f"{repo}/xet-<str:kind>-token/<str:revision>",
        upload_views.xet_token,
        name="hf_xet_token",
    ),
]

# The upload URLs the LFS batch hands out (`/api/lfs/`): a signed ticket is their credential.
lfs_patterns = [
    path("<str:ticket>", upload_views.lfs_object, name="hf_lfs_object"),
    path("<str:ticket>/verify", upload_views.lfs_verify, name="hf_lfs_verify"),
]

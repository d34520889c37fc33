"""`huggingface_hub`'s wire format: a front door for the unmodified Hugging Face client
(`HF_ENDPOINT=<hub>` or `endpoint=`), downloads only.

A `repo_id` is `owner/name`; a revision is a release (`v1.01` or `1.01`), `main` (the newest
release) or the release's commit id (`revisions.py`). `/api/models/…` answers `model_info`
and the tree listing; `resolve` (routed in hub/urls.py at the site's own
`/<owner>/<name>/resolve/<revision>/<path>`) serves the bytes through `releases.downloads`
with the headers the client relies on. Who may read what is the selectors'; errors carry the
client's `X-Error-Code` in the one mapping of `views.py`.
"""

from django.urls import path

from releases.api_hf import views

repo = "<str:owner>/<str:name>"  # checked by the selectors
urlpatterns = [
    path(f"{repo}", views.model_info, name="hf_model_info"),
    path(f"{repo}/revision/<str:revision>", views.model_info, name="hf_model_info_revision"),
    path(f"{repo}/tree/<str:revision>", views.tree, name="hf_tree"),
    path(f"{repo}/tree/<str:revision>/<path:path>", views.tree, name="hf_tree_path"),
]

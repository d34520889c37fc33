"""The OpenGradient SDK's model-hub API, `/api/v0/`: a front door for the unmodified
`opengradient` package's `ModelHub` (create_model, create_version, upload, list_files).

A model name in this API has no owner: it is a repository of the token's user. Callers
authenticate with a personal access token as the SDK's bearer token; sessions are not
accepted here, so the views are exempt from CSRF. Versions travel without their `v` (`1.01`).
Every endpoint calls the same selectors and services as the pages; `hub.errors` become
RFC 9457 problems (the SDK reads `detail`) in the one decorator of `views.py`. An upload is
one multipart POST, streamed into staging while it is hashed (`receive.py`).
"""

from django.urls import path

from releases.api_v0 import views

urlpatterns = [
    path("models/", views.model_create, name="og_model_create"),
    path("models/<str:name>/versions", views.version_create, name="og_version_create"),
    path(
        "models/<str:name>/versions/<str:version>/files",
        views.version_files,
        name="og_version_files",
    ),
]

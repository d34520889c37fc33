"""The graph of an ONNX file: a page with the repository's header around netron's viewer,
and the viewer's own document, framed by that page.

The viewer runs in a frame of its own because netron drives the whole document it lives in
(its classes on <body>, its keyboard shortcuts); it loads the model from the file's `resolve`
URL, in the same origin, so a private repository's owner sees it through their session and
everyone else gets the same 404 as for the page.
"""

from importlib.metadata import version as package_version

from csp.constants import SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from releases import selectors
from repos import selectors as repo_selectors

NETRON_VERSION = package_version("netron")


def _graph_file(request: HttpRequest, owner: str, name: str, version, path: str):
    repo = repo_selectors.repository_get_readable(user=request.user, owner=owner, name=name)
    release = selectors.release_get(repository=repo, version=version)
    return selectors.release_file_graph(release=release, path=path)


@require_safe
def file_graph(request: HttpRequest, owner: str, name: str, version, path: str) -> HttpResponse:
    rf = _graph_file(request, owner, name, version, path)
    return render(
        request,
        "releases/file_graph.html",
        {
            "repo": rf.release.repository,
            "release": rf.release,
            "file": rf,
            "netron_version": NETRON_VERSION,
        },
    )


# The one change to the site's policy: this document may be framed by the hub's own pages
# (it is the graph page's frame), and it may follow a download's redirect to the storage.
@require_safe
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": [SELF], "connect-src": [SELF, *settings.STORAGE_ORIGINS]})
def file_graph_frame(
    request: HttpRequest, owner: str, name: str, version, path: str
) -> HttpResponse:
    rf = _graph_file(request, owner, name, version, path)
    return render(request, "releases/file_graph_frame.html", {"file": rf})

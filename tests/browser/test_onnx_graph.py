"""The model's graph in Chromium: netron's viewer, served by the hub from the installed
package, draws a private model's operators for its owner from the file's download URL, with
no console error and no Content-Security-Policy violation (the autouse fixture fails on any);
a stranger gets the hub's 404."""

import pytest
from playwright.sync_api import expect

from inference.tests.helpers import onnx_file
from tests.browser.helpers import log_in
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILE = "/quant/direction/releases/v1.00/files/models/direction.onnx"
GRAPH = "/quant/direction/releases/v1.00/graph/models/direction.onnx"


def watch(page) -> list[str]:
    """Errors the page and its frame log or throw, and requests that failed."""
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(f"console: {m.text}"))
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url} {r.failure}"))
    return errors


def test_the_owner_sees_the_graph_of_a_private_model(hub_server, seeded, shared_storage, page):
    owner = UserFactory(username="quant")
    repo = RepositoryFactory(owner=owner, name="direction", visibility="private")
    onnx_file(repo, "models/direction.onnx")  # Gemm, then Softmax
    errors = watch(page)
    models = []
    page.on("response", lambda r: "/resolve/" in r.url and models.append((r.url, r.status)))
    log_in(page, hub_server, owner, FILE)

    # The file page lists the operators and leads to the graph.
    operators = page.locator("ul.operators li")
    expect(operators).to_have_text(["Gemm ×1", "Softmax ×1"])
    page.get_by_role("link", name="Open the graph").click()
    expect(page).to_have_url(hub_server + GRAPH)
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Graph")

    # netron lays the graph out in its worker and draws it as SVG: a node for each operator.
    frame = page.frame_locator("iframe.graph-frame")
    nodes = frame.locator("#canvas g.node")
    expect(nodes.filter(has_text="Gemm")).to_have_count(1)
    expect(nodes.filter(has_text="Softmax")).to_have_count(1)
    expect(frame.locator("#canvas")).to_contain_text("features")  # the model's input
    expect(frame.locator("body")).to_have_attribute("data-state", "shown")
    # Loaded through the hub's own download URL, in the owner's session; a look at the graph
    # is not a download.
    resolve = hub_server + "/quant/direction/resolve/v1.00/models/direction.onnx?view=graph"
    assert models == [(resolve, 200)]
    repo.refresh_from_db()
    assert repo.downloads == 0

    # A node's properties open in netron's sidebar (a click on its title; its weights have
    # their own).
    nodes.filter(has_text="Gemm").locator("text", has_text="Gemm").click()
    sidebar = frame.locator("#sidebar")
    expect(sidebar).to_contain_text("Gemm")
    expect(frame.locator("#sidebar-title")).to_have_text("Node Properties")

    # A second look revalidates the file (304): no second transfer.
    page.reload()
    expect(frame.locator("body")).to_have_attribute("data-state", "shown")
    expect(nodes.filter(has_text="Softmax")).to_have_count(1)
    assert [url for url, _status in models] == [resolve, resolve]
    repo.refresh_from_db()
    assert repo.downloads == 0
    assert errors == []


def test_a_stranger_gets_the_hub_s_404(hub_server, seeded, shared_storage, page):
    owner = UserFactory(username="quant")
    repo = RepositoryFactory(owner=owner, name="direction", visibility="private")
    onnx_file(repo, "models/direction.onnx")
    stranger = UserFactory(username="someone")
    log_in(page, hub_server, stranger, "/")
    for url in [GRAPH, GRAPH.replace("/graph/", "/graph-frame/")]:
        response = page.goto(hub_server + url)
        assert response.status == 404
        expect(page.locator("h1")).to_have_text("This page does not exist")

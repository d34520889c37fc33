"""Staff run a test inference from an ONNX file's page in Chromium: a real Celery worker runs
the model and records it on a real anvil chain, and the job page follows it by itself."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from inference.models import InferenceJob, Status
from inference.tests.helpers import onnx_file
from tests.browser.helpers import job_in_state, log_in
from tests.factories import RepositoryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def risk_file(seeded, shared_storage):
    repo = RepositoryFactory(owner=UserFactory(username="quant"), name="lending-risk")
    return onnx_file(repo, "models/risk.onnx")


FILE_PATH = "/quant/lending-risk/releases/v1.00/files/models/risk.onnx"


def test_staff_run_a_test_inference_and_watch_it_confirm(
    hub_server, anvil, celery_worker_process, risk_file, page
):
    operator = UserFactory(username="operator", is_staff=True)
    operator.user_permissions.add(Permission.objects.get(codename="run_inference"))
    log_in(page, hub_server, operator, FILE_PATH)

    panel = page.locator("#run-inference")
    expect(panel).to_contain_text("Run test inference")
    field = panel.get_by_label("position")
    expect(field).to_have_value("[[0.1, 0.2, 0.3, 0.4]]")

    # A wrong shape is refused with the tensor's name; nothing is queued.
    field.fill("[[1, 2, 3]]")
    panel.get_by_role("button", name="Run inference").click()
    expect(page.locator(".error")).to_contain_text(
        "Input “position”: dimension 1 must be 4 (shape [1, 4]), got 3."
    )
    assert not InferenceJob.objects.exists()

    page.get_by_label("position").fill("[[0.9, 0.1, 0.4, 0.2]]")
    page.get_by_label("TEE (trusted execution environment)").check()
    page.get_by_role("button", name="Run inference").click()

    job = InferenceJob.objects.get()
    expect(page).to_have_url(f"{hub_server}/inference/jobs/{job.pk}/")
    # The page refreshes itself until the chain has confirmed the job.
    expect(page.locator(".timeline")).to_contain_text("Confirmed", timeout=60_000)
    expect(page.locator("#job-live .status")).to_have_text("Confirmed", timeout=60_000)
    expect(page.get_by_text(f"Test inference #{job.pk} is queued.")).to_have_count(0)
    expect(page.locator(".timeline .step.current")).to_have_count(0)
    job.refresh_from_db()
    assert job.status == Status.CONFIRMED and job.mode == "TEE"
    expect(page.locator(".timeline")).to_contain_text(f"Block {job.block_number}")
    expect(page.locator(".timeline")).to_contain_text(job.tx_hash)
    expect(page.locator(".tensor-table")).to_be_visible()
    expect(page.locator("aside")).to_contain_text("chain id 31337")

    # The file page and the staff list show the job with its hash.
    page.goto(hub_server + FILE_PATH)
    expect(page.locator(".jobs-table")).to_contain_text(f"#{job.pk}")
    page.goto(hub_server + "/inference/jobs/?status=confirmed")
    expect(page.locator(".jobs-table")).to_contain_text(job.tx_hash[:10])


@pytest.mark.parametrize(
    ("status", "current"),
    [("queued", "Queued"), ("running", "Running")],
)
def test_the_timeline_marks_the_step_in_progress(hub_server, risk_file, page, status, current):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    job = job_in_state(risk_file, root, status)
    log_in(page, hub_server, root, f"/inference/jobs/{job.pk}/")
    steps = page.locator(".timeline .step.current")
    expect(steps).to_have_count(1)
    expect(steps).to_contain_text(current)
    expect(page.locator(".timeline .step").filter(has_text="Submitted")).not_to_have_class(
        re.compile(r"\b(current|done)\b")
    )


def test_a_signed_in_user_who_is_not_staff_never_sees_the_panel(hub_server, risk_file, page):
    visitor = UserFactory(username="visitor")
    log_in(page, hub_server, visitor, FILE_PATH)
    expect(page.locator("h2.file-title")).to_have_text("risk.onnx")
    expect(page.locator("#run-inference")).to_have_count(0)
    response = page.goto(f"{hub_server}/inference/files/{risk_file.pk}/run/")
    assert response.status == 404

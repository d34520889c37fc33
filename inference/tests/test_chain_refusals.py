"""Jobs that stop before anything is signed, so no chain node is needed to see them stop:
content the moderators blocked, a deleted file, an RPC endpoint nobody answers at."""

import pytest
from django.utils import timezone
from eth_account import Account

from inference import pipeline, runtime
from inference.models import Status
from inference.tasks import run_inference
from inference.tests.helpers import make_job, onnx_file
from releases.models import Blob, ReleaseFile
from releases.services.files import release_file_delete
from repos import access
from tests.conftest import free_port

pytestmark = pytest.mark.django_db

BLOCKED = access.BLOCKED_MESSAGE + " It cannot be run."


@pytest.fixture
def chain_settings(settings, shared_storage):
    """A valid own signing key and a contract address, on a port where nothing listens: a
    job that reached the chain would say so."""
    settings.DEBUG = False
    settings.CHAIN_PRIVATE_KEY = Account.create().key.hex()
    settings.CHAIN_CONTRACT_ADDRESS = "0x" + "12" * 20
    settings.CHAIN_RPC_URL = f"http://127.0.0.1:{free_port()}"
    settings.INFERENCE_RETRY_DELAY = 1
    return settings


def test_content_the_moderators_blocked_is_not_run_and_nothing_is_signed(
    chain_settings, public_repo, runner
):
    rf = onnx_file(public_repo, "risk.onnx")
    job = make_job(rf, runner, enqueue=False)
    Blob.objects.filter(pk=rf.blob_id).update(blocked_at=timezone.now(), blocked_reason="Malware")
    runtime.sessions.clear()  # risk.onnx has the same bytes in every test
    run_inference.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert job.error == BLOCKED
    assert job.tx_hash is None and job.nonce is None and job.outputs is None
    assert rf.blob.blob_id not in runtime.sessions  # onnxruntime never loaded it


def test_a_file_deleted_as_unsafe_is_not_sent_to_opengradient_either(
    chain_settings, public_repo, runner
):
    chain_settings.CHAIN_BACKEND = "opengradient"  # the network knows models by Blob ID
    rf = onnx_file(public_repo, "volatility.onnx")
    job = make_job(rf, runner, enqueue=False)
    # What a moderator's "delete as unsafe" does (moderation sits above this app): the
    # content is blocked and the file leaves its release.
    Blob.objects.filter(pk=rf.blob_id).update(blocked_at=timezone.now(), blocked_reason="Malware")
    release_file_delete(release_file=rf)
    pipeline.advance(job.pk)
    job.refresh_from_db()
    assert job.file is None
    assert job.status == Status.FAILED and job.error == BLOCKED
    assert job.tx_hash is None and job.nonce is None


def test_a_job_whose_file_was_deleted_fails_before_signing(chain_settings, public_repo, runner):
    rf = onnx_file(public_repo, "risk.onnx")
    job = make_job(rf, runner, enqueue=False)
    ReleaseFile.objects.filter(pk=rf.pk).delete()
    pipeline.advance(job.pk)
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert job.error == "The file was deleted before the model could run."
    assert job.tx_hash is None and job.nonce is None


def test_an_unreachable_rpc_is_retried_with_backoff_then_fails_with_a_readable_reason(
    chain_settings, public_repo, runner, monkeypatch
):
    chain_settings.INFERENCE_RPC_RETRIES = 2
    job = make_job(onnx_file(public_repo, "risk.onnx"), runner, enqueue=False)
    delays = []
    original = run_inference.retry

    def spy(*args, **kwargs):
        delays.append(kwargs.get("countdown"))
        return original(*args, **kwargs)

    monkeypatch.setattr(run_inference, "retry", spy)
    run_inference.apply(args=[job.pk])
    job.refresh_from_db()
    assert delays == [1, 2]  # doubling from INFERENCE_RETRY_DELAY
    assert job.status == Status.FAILED
    assert job.error == (
        "The chain's RPC endpoint could not be reached after 3 attempts (ConnectionError)."
    )
    url = chain_settings.CHAIN_RPC_URL
    assert url not in job.error + job.last_problem  # URLs may hold API keys
    assert job.tx_hash is None and job.nonce is None  # nothing was signed

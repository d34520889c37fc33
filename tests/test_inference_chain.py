"""Test inferences end to end on a real anvil node, with real Celery workers where the
behaviour is about workers (crash, concurrency) and in-process where a fault is injected."""

import json
import logging
import os
import signal
import time
from datetime import timedelta
from io import StringIO

import numpy as np
import onnxruntime as ort
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound

from inference import chain, pipeline, tensors
from inference.models import InferenceJob, Mode, SigningAccount, Status
from inference.tasks import resume_stuck_jobs, run_inference
from inference.tests.helpers import example_inputs, make_job, onnx_file, wait_for
from tests.conftest import start_worker, stop_worker
from tests.factories import RepositoryFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def repo(seeded, shared_storage):
    return RepositoryFactory(owner=UserFactory(username="modeler"), name="chain-models")


@pytest.fixture
def runner_user(seeded):
    return UserFactory(username="op", is_staff=True, is_superuser=True)


def _hub_contract(anvil):
    return chain.LocalBackend().contract(anvil.w3)


def _job_transactions(anvil, job) -> list:
    """Every transaction on the chain whose InferenceRecorded event names the job."""
    contract = _hub_contract(anvil)
    logs = contract.events.InferenceRecorded().get_logs(
        from_block=0, argument_filters={"job": job.job_key}
    )
    return [log["transactionHash"] for log in logs]


def _funded_account(anvil):
    account = Account.create()
    anvil.w3.provider.make_request("anvil_setBalance", [account.address, hex(10**21)])
    return account


def _lease_runs_out(job) -> None:
    """The lease's time is up, as if its holder had been gone that long."""
    InferenceJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))


def _send(anvil, account, call):
    w3 = anvil.w3
    nonce = w3.eth.get_transaction_count(account.address, "pending")
    tx = call.build_transaction({"from": account.address, "nonce": nonce})
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)


def test_a_worker_runs_the_model_and_records_it_on_chain(
    anvil, celery_worker_process, repo, runner_user
):
    rf = onnx_file(repo, "risk.onnx")
    job = make_job(rf, runner_user, Mode.TEE)
    job = wait_for(job, Status.CONFIRMED, Status.FAILED)
    assert job.status == Status.CONFIRMED, job.error

    # The outputs are what onnxruntime computes for the same model and input.
    session = ort.InferenceSession(default_storage.path(rf.blob.storage_key))
    expected = session.run(None, {"position": np.array([[0.1, 0.2, 0.3, 0.4]], np.float32)})[0]
    assert np.allclose(np.array(job.outputs["risk"]["values"]), expected)
    assert job.output_sha256 == tensors.sha256_hex(job.outputs)
    assert job.input_sha256 == tensors.sha256_hex(job.inputs)

    # The chain holds one transaction for the job, from the hub's key, with its fingerprints.
    receipt = anvil.w3.eth.get_transaction_receipt(job.tx_hash)
    assert receipt["status"] == 1
    assert (receipt["blockNumber"], receipt["gasUsed"]) == (job.block_number, job.gas_used)
    assert receipt["from"] == job.sender == anvil.account.address
    contract = _hub_contract(anvil)
    (event,) = contract.events.InferenceRecorded().process_receipt(receipt)
    assert event["args"]["model_id"] == rf.blob.blob_id
    assert event["args"]["mode"] == 2  # TEE
    assert event["args"]["input_sha256"].hex() == job.input_sha256
    assert contract.functions.recorded(job.job_key).call().hex() == job.output_sha256
    assert _job_transactions(anvil, job) == [receipt["transactionHash"]]
    assert job.chain_id == 31337 and job.contract_address == contract.address

    # The job page shows the whole timeline and the output table.
    client = Client()
    client.force_login(runner_user)
    html = client.get(job.get_absolute_url()).content.decode()
    assert "Confirmed" in html and f"Block {job.block_number}" in html
    assert job.tx_hash in html and '<table class="tensor-table">' in html
    assert "data-finished" in html


def test_the_opengradient_backend_encodes_sends_and_decodes_on_a_real_evm(
    anvil, repo, runner_user, settings, caplog
):
    settings.CHAIN_BACKEND = "opengradient"
    settings.CHAIN_CONTRACT_ADDRESS = anvil.stub
    settings.CHAIN_EXPLORER_TX_URL = "https://explorer.example/tx/{hash}"
    caplog.set_level(logging.DEBUG)
    volatility = onnx_file(repo, "volatility.onnx")
    inputs = example_inputs(volatility)
    inputs["open_high_low_close"]["values"][0][0] = [1200.5, -0.25, 1e-7, 3.0]
    job = make_job(volatility, runner_user, Mode.ZKML, inputs=inputs, enqueue=False)
    words = onnx_file(repo, "words.onnx")
    text_job = make_job(words, runner_user, Mode.VANILLA, enqueue=False)

    pipeline.advance(job.pk)
    pipeline.advance(text_job.pk)

    job.refresh_from_db()
    assert job.status == Status.CONFIRMED, job.error
    # The call on chain carries the exact fixed-point pairs of the numbers.
    tx = anvil.w3.eth.get_transaction(job.tx_hash)
    og = anvil.w3.eth.contract(address=anvil.stub, abi=chain.OPENGRADIENT_ABI)
    func, args = og.decode_function_input(tx["input"])
    assert func.fn_name == "run" and args["modelId"] == volatility.blob.blob_id
    assert args["inferenceMode"] == 1  # ZKML
    (tensor,) = args["modelInput"]["numbers"]
    assert tensor["name"] == "open_high_low_close" and list(tensor["shape"]) == [1, 10, 4]
    pairs = [(v["value"], v["decimals"]) for v in tensor["values"][:5]]
    assert pairs == [(12005, 1), (-25, 2), (1, 7), (3, 0), (5, 1)]  # ..., 0.5
    # The stand-in answers each number doubled: decoded back from the event.
    out = job.outputs["open_high_low_close"]
    assert out["type"] == "number" and out["shape"] == [1, 10, 4]
    assert out["values"][0][0] == [2401.0, -0.5, 2e-7, 6]
    assert job.outputs["model"] == {"type": "json", "shape": [], "values": volatility.blob.blob_id}
    assert job.simulation_result is False
    assert job.explorer_url == f"https://explorer.example/tx/{job.tx_hash}"

    text_job.refresh_from_db()
    assert text_job.status == Status.CONFIRMED, text_job.error
    assert text_job.outputs["words"] == {
        "type": "string",
        "shape": [2],
        "values": ["text 1", "text 2"],
    }

    # The key is in no log line and on no page.
    key = anvil.account.key.hex().removeprefix("0x")
    assert key not in caplog.text
    client = Client()
    client.force_login(runner_user)
    page = client.get(job.get_absolute_url()).content.decode()
    assert key not in page and "https://explorer.example/tx/" in page


def test_a_call_the_contract_refuses_fails_with_the_revert_reason_and_signs_nothing(
    anvil, repo, runner_user
):
    rf = onnx_file(repo, "risk.onnx")
    job = make_job(rf, runner_user, enqueue=False)
    outsider = _funded_account(anvil)
    _send(
        anvil,
        outsider,
        _hub_contract(anvil).functions.record(job.job_key, "other", 0, b"\1" * 32, b"\2" * 32),
    )
    pipeline.advance(job.pk)
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert job.error == "The contract refused the call: job already recorded"
    assert job.tx_hash is None and job.nonce is None


def test_a_transaction_reverted_on_chain_fails_the_job_with_the_reason(anvil, repo, runner_user):
    rf = onnx_file(repo, "risk.onnx")
    job = make_job(rf, runner_user, enqueue=False)
    job = pipeline.claim(job.pk)
    assert pipeline.run_model_step(job)
    backend = chain.LocalBackend()
    assert pipeline.sign_and_store(job, backend)  # signed and stored, not yet sent
    # Someone records the same job key first: the signed call now reverts when mined.
    _send(
        anvil,
        _funded_account(anvil),
        _hub_contract(anvil).functions.record(job.job_key, "x", 0, b"\1" * 32, b"\2" * 32),
    )
    pipeline.follow(job, backend)
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert job.error == "The transaction was reverted: job already recorded."
    assert job.block_number and job.gas_used


def test_a_nonce_taken_by_another_transaction_is_signed_again_once(anvil, repo, runner_user):
    rf = onnx_file(repo, "risk.onnx")
    job = make_job(rf, runner_user, enqueue=False)
    job = pipeline.claim(job.pk)
    assert pipeline.run_model_step(job)
    backend = chain.LocalBackend()
    pipeline.sign_and_store(job, backend)
    first_hash, first_nonce = job.tx_hash, job.nonce
    # Another program spends that nonce of the hub's account before the job is broadcast.
    anvil.w3.eth.wait_for_transaction_receipt(
        anvil.w3.eth.send_raw_transaction(
            anvil.account.sign_transaction(
                {"to": anvil.account.address, "value": 0, "gas": 21000, "nonce": first_nonce,
                 "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, "chainId": 31337}
            ).raw_transaction
        )
    )  # fmt: skip
    pipeline.release(job)
    with pytest.raises(pipeline.Transient):
        pipeline.advance(job.pk)
    pipeline.advance(job.pk)  # the retry
    job.refresh_from_db()
    assert job.status == Status.CONFIRMED, job.error
    assert job.tx_hash != first_hash and job.nonce > first_nonce
    assert len(_job_transactions(anvil, job)) == 1


def test_an_onnxruntime_error_fails_the_job_with_the_error_without_server_paths(
    anvil, celery_worker_process, repo, runner_user, settings
):
    rf = onnx_file(repo, "broken.onnx")
    job = wait_for(make_job(rf, runner_user), Status.CONFIRMED, Status.FAILED)
    assert job.status == Status.FAILED
    assert job.error.startswith("onnxruntime failed to run the model:")
    assert "Reshape" in job.error
    assert "/onnxruntime_src/" not in job.error and str(settings.MEDIA_ROOT) not in job.error
    assert job.tx_hash is None


def test_a_job_stuck_in_submitted_is_resumed_by_the_periodic_check(
    anvil, celery_worker_process, repo, runner_user, settings
):
    rf = onnx_file(repo, "risk.onnx")
    job = make_job(rf, runner_user, enqueue=False)
    # A worker signed and stored the transaction, then died before broadcasting it.
    job = pipeline.claim(job.pk)
    assert pipeline.run_model_step(job)
    pipeline.sign_and_store(job, chain.LocalBackend())
    stored_hash = job.tx_hash
    assert job.status == Status.SUBMITTED
    settings.INFERENCE_STUCK_AFTER = 0
    assert resume_stuck_jobs() == 0  # its lease is still held
    pipeline.release(job)
    assert resume_stuck_jobs() == 1
    job = wait_for(job, Status.CONFIRMED, Status.FAILED)
    assert job.status == Status.CONFIRMED, job.error
    assert job.tx_hash == stored_hash  # followed, not signed again
    assert _job_transactions(anvil, job) == [Web3.to_bytes(hexstr=stored_hash)]


def test_killing_the_worker_between_broadcast_and_receipt_leaves_one_transaction(
    anvil, celery_worker_process, worker_env, repo, runner_user, settings
):
    rf = onnx_file(repo, "risk.onnx")
    job = make_job(rf, runner_user, enqueue=False)
    nonce_before = anvil.w3.eth.get_transaction_count(anvil.account.address)
    anvil.w3.provider.make_request("evm_setAutomine", [False])  # the receipt will not come
    victim = start_worker(worker_env, "--pool=solo", "-Q", "inference-victim")
    try:
        run_inference.apply_async(args=[job.pk], queue="inference-victim")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.tx_hash and anvil.w3.eth.get_transaction(job.tx_hash):
                break  # broadcast: the victim now waits for the receipt
            time.sleep(0.05)
        assert job.status == Status.SUBMITTED
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
    finally:
        anvil.w3.provider.make_request("evm_setAutomine", [True])
        if victim.poll() is None:
            stop_worker(victim)
    stored_hash = job.tx_hash
    settings.INFERENCE_STUCK_AFTER = 0
    assert resume_stuck_jobs() == 0  # the dead victim's lease still holds the job
    _lease_runs_out(job)
    assert resume_stuck_jobs() == 1  # the periodic check hands it to the other worker
    job = wait_for(job, Status.CONFIRMED, Status.FAILED)
    assert job.status == Status.CONFIRMED
    assert job.tx_hash == stored_hash
    assert len(_job_transactions(anvil, job)) == 1
    assert anvil.w3.eth.get_transaction_count(anvil.account.address) == nonce_before + 1


def test_fifty_jobs_on_four_worker_processes_get_fifty_distinct_nonces(
    anvil, celery_worker_process, worker_env, repo, runner_user
):
    rf = onnx_file(repo, "direction.onnx")
    jobs = [make_job(rf, runner_user, enqueue=False) for _ in range(50)]
    workers = start_worker(worker_env, "--concurrency=4", "-Q", "inference-nonces")
    try:
        for job in jobs:
            run_inference.apply_async(args=[job.pk], queue="inference-nonces")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if (
                not InferenceJob.objects.filter(pk__in=[j.pk for j in jobs])
                .exclude(status__in=[Status.CONFIRMED, Status.FAILED])
                .exists()
            ):
                break
            time.sleep(0.2)
    finally:
        stop_worker(workers)
    done = list(InferenceJob.objects.filter(pk__in=[j.pk for j in jobs]))
    assert {j.status for j in done} == {Status.CONFIRMED}, {j.error for j in done}
    nonces = sorted(j.nonce for j in done)
    assert len(set(nonces)) == 50
    assert nonces == list(range(nonces[0], nonces[0] + 50))  # no gap either
    assert not [j for j in done if "nonce" in j.last_problem.lower()]
    slot = SigningAccount.objects.get(address=anvil.account.address)
    assert slot.next_nonce == anvil.w3.eth.get_transaction_count(anvil.account.address)


def _signed_but_not_sent(rf, user):
    job = pipeline.claim(make_job(rf, user, enqueue=False).pk)
    assert pipeline.run_model_step(job)
    assert pipeline.sign_and_store(job, chain.LocalBackend())
    return job


def _set_base_fee(w3, wei: int) -> None:
    w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(wei)])
    w3.provider.make_request("evm_mine", [])


def test_fees_refused_by_the_node_are_raised_on_the_same_nonce(anvil, repo, runner_user):
    w3 = anvil.w3
    rf = onnx_file(repo, "risk.onnx")
    job = _signed_but_not_sent(rf, runner_user)
    first_hash, nonce = job.tx_hash, job.nonce
    fee_cap = TypedTransaction.from_bytes(HexBytes(job.signed_tx)).as_dict()["maxFeePerGas"]
    # The base fee jumps past the stored transaction's fee cap before it is sent: every node
    # refuses a transaction whose cap is below the base fee.
    _set_base_fee(w3, fee_cap * 10)
    try:
        assert pipeline.broadcast(job, w3)
        job.refresh_from_db()
        assert job.tx_hash != first_hash
        assert job.last_problem.startswith(f"The chain refused the fees of {first_hash} (")
        assert job.last_problem.endswith(
            "replaced by a transaction with the same nonce and higher fees."
        )
        pipeline.follow(job, chain.LocalBackend())
    finally:
        _set_base_fee(w3, 10**9)  # the next tests sign at ordinary fees again
    job.refresh_from_db()
    assert job.status == Status.CONFIRMED, job.error or job.last_problem
    assert job.nonce == nonce and w3.eth.get_transaction(job.tx_hash)["nonce"] == nonce
    with pytest.raises(TransactionNotFound):
        w3.eth.get_transaction(first_hash)  # the refused one never made it
    assert len(_job_transactions(anvil, job)) == 1
    pipeline.release(job)


def test_a_refused_transaction_waits_for_the_periodic_check_then_goes_through(
    anvil, repo, runner_user, settings
):
    rf = onnx_file(repo, "risk.onnx")
    job = _signed_but_not_sent(rf, runner_user)
    balance = anvil.w3.eth.get_balance(anvil.account.address)
    anvil.w3.provider.make_request("anvil_setBalance", [anvil.account.address, "0x0"])
    try:
        pipeline.follow(job, chain.LocalBackend())
        job.refresh_from_db()
        assert job.status == Status.SUBMITTED
        assert job.last_problem.startswith("The chain refused the transaction (")
        assert "the hub will send it again" in job.last_problem
    finally:
        anvil.w3.provider.make_request("anvil_setBalance", [anvil.account.address, hex(balance)])
    pipeline.release(job)
    pipeline.advance(job.pk)  # what the periodic check's task does
    job.refresh_from_db()
    assert job.status == Status.CONFIRMED
    assert len(_job_transactions(anvil, job)) == 1


def test_a_worker_that_lost_its_lease_can_neither_write_nor_sign(anvil, repo, runner_user):
    rf = onnx_file(repo, "risk.onnx")
    slow = pipeline.claim(make_job(rf, runner_user, enqueue=False).pk)
    assert pipeline.run_model_step(slow)
    # Its lease runs out and another worker takes the job.
    _lease_runs_out(slow)
    fast = pipeline.claim(slow.pk)
    assert fast is not None and fast.lease_token != slow.lease_token
    with pytest.raises(pipeline.LeaseLost):
        pipeline.fail(slow, "stale")
    with pytest.raises(pipeline.LeaseLost):
        pipeline.sign_and_store(slow, chain.LocalBackend())
    pipeline.release(slow)  # releases nothing: the lease is not its own
    fast.refresh_from_db()
    assert fast.lease_until is not None and fast.status == Status.QUEUED and not fast.tx_hash
    assert pipeline.sign_and_store(fast, chain.LocalBackend())
    pipeline.follow(fast, chain.LocalBackend())
    fast.refresh_from_db()
    assert fast.status == Status.CONFIRMED and fast.attempts == 2


def test_an_unexpected_error_fails_an_unsigned_job_with_a_message(
    anvil, repo, runner_user, settings
):
    settings.CHAIN_BACKEND = "opengradient"
    settings.CHAIN_CONTRACT_ADDRESS = anvil.stub
    rf = onnx_file(repo, "risk.onnx")
    inputs = example_inputs(rf)
    inputs["position"]["values"][0][0] = 3e38  # past int128 fixed point; the form refuses it
    job = make_job(rf, runner_user, inputs=inputs, enqueue=False)
    pipeline.advance(job.pk)
    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert job.error.startswith("Unexpected error in the worker: ValueError:")
    assert "128-bit" in job.error


def test_deploy_contract_records_the_abi_and_workers_call_the_recorded_contract(
    anvil, repo, runner_user, settings, tmp_path
):
    settings.CHAIN_DATA_DIR = tmp_path
    settings.CHAIN_CONTRACT_ADDRESS = ""
    call_command("deploy_contract", stdout=StringIO())
    record = json.loads((tmp_path / "deployment.json").read_text())
    assert record["chain_id"] == 31337 and record["address"] != anvil.contract
    assert anvil.w3.eth.get_code(record["address"])
    assert record["abi"] == json.loads(chain.HUB_ABI_FILE.read_text())

    job = make_job(onnx_file(repo, "risk.onnx"), runner_user, enqueue=False)
    pipeline.advance(job.pk)
    job.refresh_from_db()
    assert job.status == Status.CONFIRMED, job.error
    assert job.contract_address == record["address"]

    out = StringIO()
    call_command("deploy_contract", "--if-needed", stdout=out)
    assert out.getvalue() == f"Contract already deployed at {record['address']}.\n"

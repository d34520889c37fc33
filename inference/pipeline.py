"""The life of an inference job in a worker: claim, run the model, sign once, store, broadcast,
follow to the receipt. Every step can run again after a crash or a redelivery and picks up
where the job is: a job with a stored transaction is only followed, never signed again."""

import logging
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from eth_account.typed_transactions import TypedTransaction
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError

from inference import chain, tensors
from inference.models import FINISHED, InferenceJob, SigningAccount, Status
from inference.runtime import ModelError, run_model

log = logging.getLogger(__name__)


class Transient(Exception):
    """The chain could not be reached: the task retries with a delay."""


class LeaseLost(Exception):
    """Another worker holds the job now (this one was too slow): stop touching it."""


def claim(job_id: int) -> InferenceJob | None:
    """Take the job's lease, so that two workers never work on one job at once. Every write
    of the holder checks the lease's token and renews it."""
    now = timezone.now()
    token = uuid.uuid4()
    taken = (
        InferenceJob.objects.filter(pk=job_id)
        .exclude(status__in=FINISHED)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(
            lease_until=now + timedelta(seconds=settings.INFERENCE_LEASE_SECONDS),
            lease_token=token,
            attempts=F("attempts") + 1,
        )
    )
    if not taken:
        return None
    return InferenceJob.objects.select_related("file__blob").get(pk=job_id)


def release(job: InferenceJob) -> None:
    InferenceJob.objects.filter(pk=job.pk, lease_token=job.lease_token).update(
        lease_until=None, lease_token=None
    )


def _save(job: InferenceJob, **fields) -> None:
    """Write fields of the job if this worker still holds its lease, and renew the lease."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.INFERENCE_LEASE_SECONDS)
    changed = InferenceJob.objects.filter(pk=job.pk, lease_token=job.lease_token).update(
        **{"updated_at": now, "lease_until": lease, **fields}
    )
    if not changed:
        raise LeaseLost(f"job {job.pk}")
    for name, value in fields.items():
        setattr(job, name, value)


def fail(job: InferenceJob, reason: str, **fields) -> None:
    log.info("inference failed job=%s reason=%s", job.pk, reason)
    _save(job, status=Status.FAILED, error=reason, finished_at=timezone.now(), **fields)


def advance(job_id: int) -> None:
    """Move the job as far as it can go now."""
    job = claim(job_id)
    if job is None:
        return
    try:
        _advance(job)
    except LeaseLost:
        log.warning("inference lease lost job=%s", job.pk)
    except Transient:
        raise
    except ImproperlyConfigured as exc:
        log.error("inference settings incomplete job=%s problem=%s", job.pk, exc)
        _stop(job, f"The hub's chain settings are incomplete: {exc}")
    except Exception as exc:
        # A bug or an unforeseen answer: say so on the job rather than leave it running.
        log.exception("inference error job=%s", job.pk)
        _stop(job, f"Unexpected error in the worker: {exc.__class__.__name__}: {exc}")
    finally:
        release(job)


def _stop(job: InferenceJob, problem: str) -> None:
    """Fail a job that has signed nothing; a signed one only notes the problem, since its
    transaction may still be mined."""
    try:
        if job.tx_hash is None:
            fail(job, problem)
        else:
            _save(job, last_problem=problem)
    except LeaseLost:
        pass


def _advance(job: InferenceJob) -> None:
    backend = chain.backend()
    if job.tx_hash is None:
        if job.status == Status.QUEUED:
            _save(job, status=Status.RUNNING, started_at=timezone.now())
        if backend.runs_model and job.outputs is None and not run_model_step(job):
            return
        if not sign_and_store(job, backend):
            return
        follow(job, backend, fresh=True)
        return
    follow(job, backend)


def run_model_step(job: InferenceJob) -> bool:
    """Run the model in this worker and store the outputs; False when the job failed."""
    if job.file is None:
        fail(job, "The file was deleted before the model could run.")
        return False
    try:
        outputs = run_model(job.file.blob, job.inputs)
    except ModelError as exc:
        fail(job, str(exc))
        return False
    _save(job, outputs=outputs, output_sha256=tensors.sha256_hex(outputs))
    return True


def _describe(exc: Exception) -> str:
    """What went wrong with the RPC, without its URL (hosted endpoints carry API keys)."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return f"{exc.__class__.__name__}" + (f", HTTP {status}" if status else "")


def _rpc(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except chain.TRANSIENT_ERRORS as exc:
        raise Transient(_describe(exc)) from exc


def _rpc_message(exc: Exception) -> str:
    """The node's own words for a refusal (no URL in them), shortened."""
    message = getattr(exc, "message", None) or str(exc)
    return str(message)[:300]


def _revert_reason(exc: ContractLogicError) -> str:
    return _rpc_message(exc).removeprefix("execution reverted: ").strip() or "no reason given"


def _lock_own(job: InferenceJob) -> InferenceJob:
    """The job's row, locked, if this worker still holds its lease (else LeaseLost)."""
    locked = InferenceJob.objects.select_for_update().get(pk=job.pk)
    if locked.lease_token != job.lease_token:
        raise LeaseLost(f"job {job.pk}")
    return locked


def sign_and_store(job: InferenceJob, backend) -> bool:
    """Sign the job's transaction with the next nonce and store it before anything is sent.
    Returns False when the job failed instead (the call would revert)."""
    w3 = chain.web3()
    account = chain.signing_account()
    chain_id = _rpc(chain.chain_id, w3)
    contract = backend.contract(w3)
    call = backend.call(contract, job)
    try:
        gas = _rpc(call.estimate_gas, {"from": account.address})
    except ContractLogicError as exc:
        fail(job, f"The contract refused the call: {_revert_reason(exc)}")
        return False
    except Web3RPCError as exc:  # e.g. the account cannot pay for gas
        fail(job, f"The chain refused the call: {_rpc_message(exc)}")
        return False
    base, tip = _rpc(chain.fees, w3)
    tx_fields = {
        "chainId": chain_id,
        "from": account.address,
        "gas": int(gas * settings.CHAIN_GAS_LIMIT_MARGIN) + 10_000,
        "maxFeePerGas": 2 * base + tip,
        "maxPriorityFeePerGas": tip,
    }
    unsigned = call.build_transaction({**tx_fields, "nonce": 0})  # encoded outside the lock
    if not SigningAccount.objects.filter(chain_id=chain_id, address=account.address).exists():
        pending = _rpc(w3.eth.get_transaction_count, account.address, "pending")
        SigningAccount.objects.get_or_create(
            chain_id=chain_id, address=account.address, defaults={"next_nonce": pending}
        )
    with transaction.atomic():
        locked = _lock_own(job)  # a slower run must never sign
        if locked.tx_hash is not None:  # signed by an earlier run after all
            job.refresh_from_db()
            return True
        slot = SigningAccount.objects.select_for_update().get(
            chain_id=chain_id, address=account.address
        )
        nonce = slot.next_nonce
        tx = {**unsigned, "nonce": nonce}
        signed = account.sign_transaction(tx)
        _save(
            job,
            status=Status.SUBMITTED,
            backend=backend.name,
            chain_id=chain_id,
            contract_address=contract.address,
            sender=account.address,
            nonce=nonce,
            tx_hash=Web3.to_hex(signed.hash),
            signed_tx=bytes(signed.raw_transaction),
            submitted_at=timezone.now(),
            last_problem="",
        )
        slot.next_nonce = nonce + 1
        slot.save(update_fields=["next_nonce", "updated_at"])
    log.info("inference signed job=%s tx=%s nonce=%s", job.pk, job.tx_hash, nonce)
    return True


def _known(w3: Web3, tx_hash: str) -> bool:
    try:
        return _rpc(w3.eth.get_transaction, tx_hash) is not None
    except TransactionNotFound:
        return False


FEE_REFUSALS = ("underpriced", "fee cap", "base fee", "max fee per gas", "fee too low")


def broadcast(job: InferenceJob, w3: Web3) -> bool:
    """Send the stored signed transaction (again). A node that has it already is fine.
    Returns False when the node refused it and the job waits for the periodic check."""
    try:
        _rpc(w3.eth.send_raw_transaction, bytes(job.signed_tx))
    except Web3RPCError as exc:
        message = str(exc).lower()
        if "already known" in message or "already imported" in message:
            return True
        if "nonce too low" in message or "nonce has already been used" in message:
            if _known(w3, job.tx_hash):
                return True  # ours was mined: the node only says it was a repeat
            _forget_signature(job, _rpc_message(exc))
        if any(words in message for words in FEE_REFUSALS):
            _replace_with_higher_fees(job, w3, _rpc_message(exc))
            _rpc(w3.eth.send_raw_transaction, bytes(job.signed_tx))
            return True
        _save(
            job,
            last_problem=f"The chain refused the transaction ({_rpc_message(exc)}); the hub "
            "will send it again.",
        )
        return False
    return True


def _replace_with_higher_fees(job: InferenceJob, w3: Web3, reason: str) -> None:
    """Sign the same call with the same nonce and higher fees. Both transactions share the
    nonce, so at most one of them can ever be mined: still one transaction per job."""
    old = TypedTransaction.from_bytes(HexBytes(bytes(job.signed_tx))).as_dict()
    base, tip = _rpc(chain.fees, w3, fresh=True)
    new_tip = max(tip, old["maxPriorityFeePerGas"] * 9 // 8 + 1)
    new_max = max(2 * base + new_tip, old["maxFeePerGas"] * 9 // 8 + 1)
    tx = {key: old[key] for key in ("chainId", "nonce", "gas", "value", "data", "accessList")}
    tx.update(
        to=Web3.to_checksum_address(old["to"]), maxFeePerGas=new_max, maxPriorityFeePerGas=new_tip
    )
    signed = chain.signing_account().sign_transaction(tx)
    with transaction.atomic():
        if _lock_own(job).tx_hash != job.tx_hash:
            raise LeaseLost(f"job {job.pk}")
        previous = job.tx_hash
        _save(
            job,
            tx_hash=Web3.to_hex(signed.hash),
            signed_tx=bytes(signed.raw_transaction),
            last_problem=f"The chain refused the fees of {previous} ({reason}); replaced by a "
            "transaction with the same nonce and higher fees.",
        )
    log.warning("inference fees raised job=%s old=%s new=%s", job.pk, previous, job.tx_hash)


def _forget_signature(job: InferenceJob, reason: str) -> None:
    """The stored transaction's nonce was taken by another transaction of the same account,
    so it can never be mined: drop it, so the next run signs one with a fresh nonce."""
    log.warning("inference nonce taken job=%s tx=%s reason=%s", job.pk, job.tx_hash, reason)
    pending = _rpc(chain.web3().eth.get_transaction_count, job.sender, "pending")
    with transaction.atomic():
        # Another program sends from this account: continue after its transactions.
        SigningAccount.objects.select_for_update().filter(
            chain_id=job.chain_id, address=job.sender, next_nonce__lt=pending
        ).update(next_nonce=pending)
        _save(
            job,
            tx_hash=None,
            signed_tx=None,
            nonce=None,
            status=Status.RUNNING,
            last_problem=f"The transaction's nonce was used by another transaction ({reason}); "
            "it will be signed again.",
        )
    raise Transient("nonce taken by another transaction")


def follow(job: InferenceJob, backend, *, fresh: bool = False) -> None:
    """Broadcast the stored transaction if the chain does not know it, then wait for its
    receipt and record the outcome. (`fresh`: signed just now, so nobody has sent it yet.)"""
    w3 = chain.web3()
    receipt = None
    if not fresh:
        try:
            receipt = _rpc(w3.eth.get_transaction_receipt, job.tx_hash)
        except TransactionNotFound:
            receipt = None
    if receipt is None:
        if not broadcast(job, w3):
            return
        receipt = _wait_for_receipt(w3, job.tx_hash)
        if receipt is None:
            _save(
                job,
                last_problem=f"Not mined within {settings.CHAIN_RECEIPT_TIMEOUT} s; "
                "the hub will look again.",
            )
            return
    _finish(job, backend, w3, receipt)


def _wait_for_receipt(w3: Web3, tx_hash: str):
    """The receipt, polled quickly at first (a local chain mines at once), then every second;
    None after CHAIN_RECEIPT_TIMEOUT."""
    deadline = time.monotonic() + settings.CHAIN_RECEIPT_TIMEOUT
    delay = 0.005
    while True:
        try:
            return _rpc(w3.eth.get_transaction_receipt, tx_hash)
        except TransactionNotFound:
            pass
        if time.monotonic() + delay > deadline:
            return None
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


def _finish(job: InferenceJob, backend, w3: Web3, receipt) -> None:
    done = {"block_number": receipt["blockNumber"], "gas_used": receipt["gasUsed"]}
    if receipt["status"] != 1:
        fail_reason = "The transaction was reverted"
        tx = _rpc(w3.eth.get_transaction, job.tx_hash)
        try:
            _rpc(
                w3.eth.call,
                {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]},
                receipt["blockNumber"] - 1,
            )
        except ContractLogicError as exc:
            fail_reason += f": {_revert_reason(exc)}"
        fail(job, fail_reason + ".", **done)
        return
    contract = backend.contract(w3, job.contract_address)  # the one the job called
    try:
        result = backend.result(contract, receipt, job)
    except ValueError as exc:
        fail(job, f"The transaction was mined but its result could not be read: {exc}", **done)
        return
    if "outputs" in result:
        result["output_sha256"] = tensors.sha256_hex(result["outputs"])
    _save(
        job,
        **done,
        **result,
        status=Status.CONFIRMED,
        finished_at=timezone.now(),
        last_problem="",
    )
    log.info(
        "inference confirmed job=%s tx=%s block=%s gas=%s",
        job.pk,
        job.tx_hash,
        receipt["blockNumber"],
        receipt["gasUsed"],
    )


def give_up(job_id: int, problem: str) -> None:
    """Retries are spent. A job whose transaction is signed is not failed, since that
    transaction may still be mined: it stays submitted for the periodic check."""
    job = claim(job_id)
    if job is None:
        return  # finished, or another worker has it
    try:
        attempts = settings.INFERENCE_RPC_RETRIES + 1
        _stop(
            job,
            f"The chain's RPC endpoint could not be reached after {attempts} attempts ({problem}).",
        )
    finally:
        release(job)


def note_problem(job_id: int, problem: str) -> None:
    InferenceJob.objects.filter(pk=job_id).update(last_problem=problem, updated_at=timezone.now())


def stuck_job_ids(limit: int = 500) -> list[int]:
    """Unfinished jobs nobody is working on that have not moved for a while."""
    now = timezone.now()
    return list(
        InferenceJob.objects.exclude(status__in=FINISHED)
        .filter(updated_at__lt=now - timedelta(seconds=settings.INFERENCE_STUCK_AFTER))
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )

"""Signing a job's transaction once, storing it before anything is sent, broadcasting it and
following it to its receipt; a stored transaction is only ever re-sent, or replaced on the same
nonce."""

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from eth_account.typed_transactions import TypedTransaction
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError

from inference import chain, tensors
from inference.models import InferenceJob, SigningAccount, Status
from inference.pipeline.leases import LeaseLost, fail, lock_own, save

log = logging.getLogger(__name__)


class Transient(Exception):
    """The chain could not be reached: the task retries with a delay."""


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
        locked = lock_own(job)  # a slower run must never sign
        if locked.tx_hash is not None:  # signed by an earlier run after all
            job.refresh_from_db()
            return True
        slot = SigningAccount.objects.select_for_update().get(
            chain_id=chain_id, address=account.address
        )
        nonce = slot.next_nonce
        tx = {**unsigned, "nonce": nonce}
        signed = account.sign_transaction(tx)
        save(
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
        save(
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
        if lock_own(job).tx_hash != job.tx_hash:
            raise LeaseLost(f"job {job.pk}")
        previous = job.tx_hash
        save(
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
        save(
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
            save(
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
    save(
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

"""Deploying the hub's contract: compiled from its Vyper source at deploy time (vyper is
imported here only, never by a worker), and the record of where it went (DATA_DIR/chain/
deployment.json: chain id, address, block and the ABI it was compiled with)."""

import functools
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from eth_account.signers.local import LocalAccount
from web3 import Web3

CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "contracts"
HUB_CONTRACT = CONTRACTS_DIR / "InferenceLog.vy"
# The ABI compiled from HUB_CONTRACT, committed; a test keeps the two the same.
HUB_ABI_FILE = CONTRACTS_DIR / "InferenceLog.abi.json"


@functools.cache
def compile_vyper(path: Path) -> dict[str, Any]:
    """ABI and bytecode of a Vyper contract, compiled from its source."""
    from vyper.compiler import compile_code

    out = compile_code(path.read_text(), output_formats=["abi", "bytecode"])
    return {"abi": out["abi"], "bytecode": out["bytecode"]}


def write_hub_abi() -> Path:
    """Write the ABI compiled from the hub contract's source next to it."""
    HUB_ABI_FILE.write_text(json.dumps(compile_vyper(HUB_CONTRACT)["abi"], indent=2) + "\n")
    return HUB_ABI_FILE


def deployment_file() -> Path:
    return settings.CHAIN_DATA_DIR / "deployment.json"


def read_deployment() -> dict[str, Any] | None:
    try:
        return json.loads(deployment_file().read_text())
    except (OSError, ValueError):
        return None


def write_deployment(record: dict[str, Any]) -> Path:
    """Replace the deployment record in one step, so a reader never sees half of it."""
    target = deployment_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2))
    tmp.replace(target)
    return target


def deploy(w3: Web3, account: LocalAccount, source: Path, *args) -> tuple[str, int]:
    """Compile and deploy a contract; returns its address and the block it is in."""
    compiled = compile_vyper(source)
    factory = w3.eth.contract(abi=compiled["abi"], bytecode=compiled["bytecode"])
    tx = factory.constructor(*args).build_transaction(
        {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending")}
    )
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.1)
    if receipt["status"] != 1:
        raise RuntimeError(f"deploying {source.name} failed in transaction {tx_hash.hex()}")
    return receipt["contractAddress"], receipt["blockNumber"]

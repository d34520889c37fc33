"""The chain side of test inferences, with web3.py: the signing key, the contracts and the two
backends (the hub's own contract on a local anvil node, and OpenGradient's inference
contract)."""

import functools
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import ProviderConnectionError, RequestTimedOut, TooManyRequests

from inference import tensors
from inference.models import MODE_NUMBERS, InferenceJob

# eth-account pulls in py_ecc, which raises the interpreter's recursion limit to 100,000 when
# imported. With that limit a deeply nested JSON request body overflows the C stack and kills
# the web process instead of raising RecursionError: put Python's default back.
sys.setrecursionlimit(1000)

log = logging.getLogger(__name__)

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"
HUB_CONTRACT = CONTRACTS_DIR / "InferenceLog.vy"
# The mnemonic anvil and other development nodes fund their accounts from: public knowledge.
DEV_MNEMONIC = "test test test test test test test test test test test junk"

TRANSIENT_ERRORS = (
    requests.exceptions.RequestException,
    ProviderConnectionError,
    RequestTimedOut,
    TooManyRequests,
    ConnectionError,
    TimeoutError,
)


class ChainUnavailable(Exception):
    """The RPC node could not be reached or did not answer in time: worth trying again."""


@functools.cache
def dev_addresses() -> frozenset[str]:
    return frozenset(dev_account(i).address for i in range(20))


def dev_account(index: int = 0) -> LocalAccount:
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def signing_account() -> LocalAccount:
    """The account that signs inference transactions, from CHAIN_PRIVATE_KEY or
    CHAIN_PRIVATE_KEY_FILE. Never logged, never stored."""
    key = settings.CHAIN_PRIVATE_KEY.strip()
    if not key and settings.CHAIN_PRIVATE_KEY_FILE:
        try:
            key = Path(settings.CHAIN_PRIVATE_KEY_FILE).read_text().strip().splitlines()[0]
        except (OSError, IndexError) as exc:
            raise ImproperlyConfigured(
                f"CHAIN_PRIVATE_KEY_FILE {settings.CHAIN_PRIVATE_KEY_FILE} could not be read "
                f"({exc.__class__.__name__})."
            ) from None
    if not key:
        if settings.DEBUG and settings.CHAIN_BACKEND == "local":
            return dev_account(0)
        raise ImproperlyConfigured(
            "No signing key: set CHAIN_PRIVATE_KEY or CHAIN_PRIVATE_KEY_FILE."
        )
    try:
        account = Account.from_key(key)
    except (ValueError, TypeError):
        raise ImproperlyConfigured("The chain signing key is not a valid private key.") from None
    if not settings.DEBUG and account.address in dev_addresses():
        raise ImproperlyConfigured(
            "The chain signing key is a well-known development key; it is refused when DEBUG "
            "is off. Use a key of your own."
        )
    return account


@functools.cache
def _web3(url: str) -> Web3:
    provider = Web3.HTTPProvider(
        url, request_kwargs={"timeout": 10}, exception_retry_configuration=None
    )
    return Web3(provider)


def web3() -> Web3:
    return _web3(settings.CHAIN_RPC_URL)


_chain_ids: dict[str, int] = {}


_fees: dict[str, tuple[float, int, int]] = {}
FEES_TTL = 3.0


def fees(w3: Web3, *, fresh: bool = False) -> tuple[int, int]:
    """(base fee of the latest block, priority fee), asked at most every few seconds per
    process: the max fee of twice the base fee covers several blocks of rising prices."""
    url = w3.provider.endpoint_uri
    cached = _fees.get(url)
    if cached and not fresh and time.monotonic() - cached[0] < FEES_TTL:
        return cached[1], cached[2]
    base = w3.eth.get_block("latest").get("baseFeePerGas", 0)
    tip = w3.eth.max_priority_fee
    _fees[url] = (time.monotonic(), base, tip)
    return base, tip


def chain_id(w3: Web3) -> int:
    """The chain's id, asked once per process and node."""
    url = w3.provider.endpoint_uri
    if url not in _chain_ids:
        _chain_ids[url] = w3.eth.chain_id
    return _chain_ids[url]


@functools.cache
def compile_vyper(path: Path) -> dict[str, Any]:
    """ABI and bytecode of a Vyper contract, compiled from its source."""
    from vyper.compiler import compile_code

    out = compile_code(path.read_text(), output_formats=["abi", "bytecode"])
    return {"abi": out["abi"], "bytecode": out["bytecode"]}


def deployment_file() -> Path:
    return settings.CHAIN_DATA_DIR / "deployment.json"


def read_deployment() -> dict[str, Any] | None:
    try:
        return json.loads(deployment_file().read_text())
    except (OSError, ValueError):
        return None


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


# The OpenGradient inference contract, as its documents give it.
_TENSOR_VALUE = [{"name": "value", "type": "int128"}, {"name": "decimals", "type": "int128"}]
_NUMBER_TENSOR = [
    {"name": "name", "type": "string"},
    {"name": "values", "type": "tuple[]", "components": _TENSOR_VALUE},
    {"name": "shape", "type": "uint32[]"},
]
_STRING_TENSOR = [{"name": "name", "type": "string"}, {"name": "values", "type": "string[]"}]
_MODEL_OUTPUT = [
    {"name": "numbers", "type": "tuple[]", "components": _NUMBER_TENSOR},
    {"name": "strings", "type": "tuple[]", "components": _STRING_TENSOR},
    {
        "name": "jsons",
        "type": "tuple[]",
        "components": [{"name": "name", "type": "string"}, {"name": "value", "type": "string"}],
    },
    {"name": "is_simulation_result", "type": "bool"},
]
OPENGRADIENT_ABI = [
    {
        "type": "function",
        "name": "run",
        "stateMutability": "nonpayable",
        "inputs": [
            {"name": "modelId", "type": "string"},
            {"name": "inferenceMode", "type": "uint8"},
            {
                "name": "modelInput",
                "type": "tuple",
                "components": [
                    {"name": "numbers", "type": "tuple[]", "components": _NUMBER_TENSOR},
                    {"name": "strings", "type": "tuple[]", "components": _STRING_TENSOR},
                ],
            },
        ],
        "outputs": [{"name": "", "type": "tuple", "components": _MODEL_OUTPUT}],
    },
    {
        "type": "event",
        "name": "InferenceResult",
        "anonymous": False,
        "inputs": [
            {"name": "output", "type": "tuple", "indexed": False, "components": _MODEL_OUTPUT}
        ],
    },
]


def _field(item, name: str, index: int):
    """A struct field as web3 decodes it: by name where it keeps names, else by position."""
    if isinstance(item, dict):
        return item[name]
    return getattr(item, name, None) if hasattr(item, name) else item[index]


class LocalBackend:
    """The hub's own contract: the worker runs the model, the chain records what ran."""

    name = "local"
    runs_model = True

    def contract_address(self) -> str:
        if settings.CHAIN_CONTRACT_ADDRESS:
            return settings.CHAIN_CONTRACT_ADDRESS
        deployment = read_deployment()
        if not deployment:
            raise ImproperlyConfigured(
                "The hub's inference contract is not deployed: run `manage.py deploy_contract`."
            )
        return deployment["address"]

    def contract(self, w3: Web3, address: str = ""):
        return w3.eth.contract(
            address=Web3.to_checksum_address(address or self.contract_address()),
            abi=compile_vyper(HUB_CONTRACT)["abi"],
        )

    def call(self, contract, job: InferenceJob):
        return contract.functions.record(
            job.job_key,
            job.model_id,
            MODE_NUMBERS[job.mode],
            bytes.fromhex(job.input_sha256),
            bytes.fromhex(job.output_sha256),
        )

    def result(self, contract, receipt, job: InferenceJob) -> dict[str, Any]:
        """Checks that the receipt records this job's output; returns nothing new."""
        for event in contract.events.InferenceRecorded().process_receipt(receipt):
            args = event["args"]
            if bytes(args["job"]) == job.job_key:
                if bytes(args["output_sha256"]).hex() != job.output_sha256:
                    raise ValueError("the recorded output hash differs from the job's")
                return {}
        raise ValueError("the transaction's receipt has no InferenceRecorded event for the job")


class OpenGradientBackend:
    """OpenGradient's inference contract: the network runs the model and emits the output."""

    name = "opengradient"
    runs_model = False

    def contract_address(self) -> str:
        return settings.CHAIN_CONTRACT_ADDRESS

    def contract(self, w3: Web3, address: str = ""):
        return w3.eth.contract(
            address=Web3.to_checksum_address(address or self.contract_address()),
            abi=OPENGRADIENT_ABI,
        )

    @staticmethod
    def model_input(inputs: dict[str, dict[str, Any]]) -> tuple[list, list]:
        import numpy as np

        numbers, strings = [], []
        for name, tensor in inputs.items():
            # The values as the user gave them, not rounded through the model's float type.
            flat = np.array(tensor["values"], dtype=object).ravel().tolist()
            if tensor["type"] == "string":
                strings.append((name, [str(v) for v in flat]))
            else:
                values = [tensors.to_fixed(v) for v in flat]
                numbers.append((name, values, [int(d) for d in tensor["shape"]]))
        return numbers, strings

    def call(self, contract, job: InferenceJob):
        return contract.functions.run(
            job.model_id, MODE_NUMBERS[job.mode], self.model_input(job.inputs)
        )

    def result(self, contract, receipt, job: InferenceJob) -> dict[str, Any]:
        events = contract.events.InferenceResult().process_receipt(receipt)
        if not events:
            raise ValueError("the transaction's receipt has no InferenceResult event")
        return self.decode_output(events[0]["args"]["output"])

    @staticmethod
    def decode_output(output) -> dict[str, Any]:
        import numpy as np

        outputs: dict[str, Any] = {}
        for tensor in _field(output, "numbers", 0):
            values = [
                tensors.from_fixed(int(_field(v, "value", 0)), int(_field(v, "decimals", 1)))
                for v in _field(tensor, "values", 1)
            ]
            shape = [int(d) for d in _field(tensor, "shape", 2)] or [len(values)]
            array = np.array(values, dtype=object).reshape(shape)
            outputs[_field(tensor, "name", 0)] = {
                "type": "number",
                "shape": shape,
                "values": array.tolist(),
            }
        for tensor in _field(output, "strings", 1):
            values = list(_field(tensor, "values", 1))
            outputs[_field(tensor, "name", 0)] = {
                "type": "string",
                "shape": [len(values)],
                "values": values,
            }
        for item in _field(output, "jsons", 2):
            outputs[_field(item, "name", 0)] = {
                "type": "json",
                "shape": [],
                "values": _field(item, "value", 1),
            }
        return {
            "outputs": outputs,
            "simulation_result": bool(_field(output, "is_simulation_result", 3)),
        }


def backend() -> LocalBackend | OpenGradientBackend:
    return OpenGradientBackend() if settings.CHAIN_BACKEND == "opengradient" else LocalBackend()

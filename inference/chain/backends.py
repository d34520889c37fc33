"""The two ways a job goes on chain: the hub's own contract, which records what the worker ran
(`local`), and OpenGradient's inference contract, which runs the model itself (`opengradient`).
Both read their ABI from JSON: the contracts are never compiled here."""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from web3 import Web3

from inference import tensors
from inference.chain.deployment import HUB_ABI_FILE, read_deployment
from inference.models import MODE_NUMBERS, InferenceJob

# OpenGradient's inference contract, as its documents give it.
OPENGRADIENT_ABI = json.loads(Path(__file__).with_name("opengradient_abi.json").read_text())
HUB_ABI = json.loads(HUB_ABI_FILE.read_text())


def _field(item, name: str, index: int):
    """A struct field as web3 decodes it: by name where it keeps names, else by position."""
    if isinstance(item, dict):
        return item[name]
    return getattr(item, name, None) if hasattr(item, name) else item[index]


class LocalBackend:
    """The hub's own contract: the worker runs the model, the chain records what ran."""

    name = "local"
    runs_model = True

    def contract(self, w3: Web3, address: str = ""):
        """The contract at `address`, by default CHAIN_CONTRACT_ADDRESS or the deployed one,
        with the ABI stored in its deployment record (the committed one where there is none)."""
        record = read_deployment() or {}
        address = address or settings.CHAIN_CONTRACT_ADDRESS or record.get("address", "")
        if not address:
            raise ImproperlyConfigured(
                "The hub's inference contract is not deployed: run `manage.py deploy_contract`."
            )
        recorded = record.get("abi") and record.get("address", "").lower() == address.lower()
        return w3.eth.contract(
            address=Web3.to_checksum_address(address),
            abi=record["abi"] if recorded else HUB_ABI,
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

    def contract(self, w3: Web3, address: str = ""):
        return w3.eth.contract(
            address=Web3.to_checksum_address(address or settings.CHAIN_CONTRACT_ADDRESS),
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

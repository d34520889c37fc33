"""The contracts' ABIs are data committed next to their source, read by the workers, and kept
the same as what the sources compile to."""

import json
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from web3 import Web3

from inference import chain

STUB = Path(__file__).resolve().parents[2] / "tests" / "contracts" / "OpenGradientStub.vy"
COMMITTED = json.loads(chain.HUB_ABI_FILE.read_text())
A = "0x" + "aa" * 20
B = "0x" + "bb" * 20


def test_the_committed_abi_is_the_one_the_contract_source_compiles_to():
    compiled = chain.compile_vyper(chain.HUB_CONTRACT)["abi"]
    assert compiled == COMMITTED, (
        f"{chain.HUB_ABI_FILE.name} is out of date: run `manage.py deploy_contract --write-abi`"
    )


def test_the_opengradient_abi_has_the_calls_and_events_of_a_contract_compiled_from_source():
    ours = Web3().eth.contract(abi=chain.OPENGRADIENT_ABI)
    stub = Web3().eth.contract(abi=chain.compile_vyper(STUB)["abi"])
    assert ours.functions.run.signature == stub.functions.run.signature
    assert ours.events.InferenceResult.topic == stub.events.InferenceResult.topic


def test_workers_take_the_abi_from_the_deployment_record_else_the_committed_one(settings, tmp_path):
    settings.CHAIN_DATA_DIR = tmp_path
    settings.CHAIN_CONTRACT_ADDRESS = ""
    backend, w3 = chain.LocalBackend(), Web3()
    with pytest.raises(ImproperlyConfigured, match="is not deployed"):
        backend.contract(w3)

    events_only = [item for item in COMMITTED if item["type"] == "event"]  # told apart below
    chain.write_deployment({"chain_id": 31337, "address": A, "block": 1, "abi": events_only})
    deployed = backend.contract(w3)
    assert (deployed.address, deployed.abi) == (Web3.to_checksum_address(A), events_only)

    settings.CHAIN_CONTRACT_ADDRESS = B  # another contract: the record says nothing about it
    assert backend.contract(w3).abi == COMMITTED
    assert backend.contract(w3, Web3.to_checksum_address(A)).abi == events_only

    chain.write_deployment({"chain_id": 31337, "address": B, "block": 1})  # made before ABIs
    assert backend.contract(w3).abi == COMMITTED

"""What loading the chain side does to a process, seen from a fresh interpreter (in this one
everything is imported already)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _fresh_python(*lines: str) -> str:
    code = "\n".join(["import sys", "import django", "django.setup()", *lines])
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hub.settings"}
    done = subprocess.run(  # noqa: S603 (this interpreter, our own code)
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_loading_the_chain_side_puts_pythons_recursion_limit_back():
    # eth-account's py_ecc raises the limit to 100,000 on import; with it, a deeply nested JSON
    # body overflows the C stack and kills the process. The web3 part first: web3 imports
    # eth-account itself.
    out = _fresh_python(
        "import inference.chain.node",
        "print(sys.getrecursionlimit(), 'py_ecc' in sys.modules)",
    )
    assert out == "1000 True"


def test_a_worker_builds_the_hub_contract_from_json_without_vyper():
    out = _fresh_python(
        "from web3 import Web3",
        "import inference.tasks",
        "from inference import chain",
        "contract = chain.LocalBackend().contract(Web3(), '0x' + '12' * 20)",
        "print(bool(contract.abi), 'vyper' in sys.modules, sys.getrecursionlimit())",
    )
    assert out == "True False 1000"

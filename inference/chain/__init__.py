"""The chain side of test inferences, with web3.py, one concern a module:

- `keys`: the signing key, and the development keys refused in production;
- `node`: the web3 client of the RPC node, its chain id and fees, the errors worth a retry;
- `backends`: the hub's own contract (`local`) and OpenGradient's (`opengradient`);
- `deployment`: compiling and deploying the hub's contract, and the record of where it is.

Imported lazily by the web process (web3 takes a second to load); the worker imports it whole.
"""

import sys

from inference.chain.backends import (
    OPENGRADIENT_ABI,
    LocalBackend,
    OpenGradientBackend,
    backend,
)
from inference.chain.deployment import (
    CONTRACTS_DIR,
    HUB_ABI_FILE,
    HUB_CONTRACT,
    compile_vyper,
    deploy,
    deployment_file,
    read_deployment,
    write_deployment,
    write_hub_abi,
)
from inference.chain.keys import DEV_MNEMONIC, dev_account, dev_addresses, signing_account
from inference.chain.node import TRANSIENT_ERRORS, chain_id, fees, web3

# eth-account (imported above, by every module here) pulls in py_ecc, which raises the
# interpreter's recursion limit to 100,000 when first imported. With that limit a deeply nested
# JSON request body overflows the C stack and kills the process instead of raising
# RecursionError. Importing any part of this package runs this file to the end, after py_ecc
# is loaded for good: Python's default goes back here, once.
sys.setrecursionlimit(1000)

__all__ = [
    "CONTRACTS_DIR",
    "DEV_MNEMONIC",
    "HUB_ABI_FILE",
    "HUB_CONTRACT",
    "OPENGRADIENT_ABI",
    "TRANSIENT_ERRORS",
    "LocalBackend",
    "OpenGradientBackend",
    "backend",
    "chain_id",
    "compile_vyper",
    "deploy",
    "deployment_file",
    "dev_account",
    "dev_addresses",
    "fees",
    "read_deployment",
    "signing_account",
    "web3",
    "write_deployment",
    "write_hub_abi",
]

"""Finding and starting the local anvil node (npm package @foundry-rs/anvil)."""

import os
import platform
import shutil
import subprocess
import time
from pathlib import Path

_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def anvil_binary() -> str:
    """ANVIL_BIN, else the binary the npm package installed in node_modules, else PATH."""
    if os.environ.get("ANVIL_BIN"):
        return os.environ["ANVIL_BIN"]
    system = platform.system().lower()
    arch = _ARCH.get(platform.machine().lower(), platform.machine().lower())
    project = Path(__file__).resolve().parent.parent
    candidate = (
        project / "node_modules" / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / "anvil"
    )
    if candidate.exists():
        return str(candidate)
    found = shutil.which("anvil")
    if found:
        return found
    raise FileNotFoundError("anvil not found: run `npm ci` in the project folder")


def start_anvil(port: int, *args: str, log=subprocess.DEVNULL) -> subprocess.Popen:
    """Start anvil on 127.0.0.1:`port` and wait until it answers."""
    import requests

    proc = subprocess.Popen(  # noqa: S603 (our own binary and arguments)
        [anvil_binary(), "--host", "127.0.0.1", "--port", str(port), *args],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"anvil exited with code {proc.returncode}")
        try:
            requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=1)
            return proc
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("anvil did not answer within 30 s")


if __name__ == "__main__":
    print(anvil_binary())

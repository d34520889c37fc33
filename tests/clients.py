"""Running a real client package (in its own virtual environment) from the tests."""

import json
import subprocess
from pathlib import Path

import pytest


def run_driver(python: Path, driver: Path, payload: dict, *args: str, env: dict) -> list[dict]:
    """Run a client's driver script with `payload` as JSON on its standard input; the answers
    are the JSON on the last line it prints."""
    if not python.exists():
        pytest.skip(f"the client's environment {python.parent.parent.name} is missing: run "
                    "scripts/test once")  # fmt: skip
    done = subprocess.run(
        [str(python), str(driver), *args],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env={**env, "NO_PROXY": "127.0.0.1,localhost", "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])

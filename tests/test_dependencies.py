"""The hashed locks (requirements*.txt) hold exactly the versions the inputs (*.in) pin."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;#\\]+)", re.MULTILINE)


def _pins(path: Path) -> dict[str, str]:
    return {
        name.lower().replace("_", "-"): version for name, version in PIN.findall(path.read_text())
    }


@pytest.mark.parametrize(("source", "lock"), [
    ("requirements.in", "requirements.txt"),
    ("requirements-dev.in", "requirements-dev.txt"),
])  # fmt: skip
def test_every_pin_of_the_inputs_is_in_the_lock_with_hashes(source, lock):
    wanted, locked = _pins(ROOT / source), _pins(ROOT / lock)
    assert wanted, source
    stale = {name: (v, locked.get(name)) for name, v in wanted.items() if locked.get(name) != v}
    assert stale == {}, f"run pip-compile for {lock} (see the README)"
    text = (ROOT / lock).read_text()
    for name in locked:
        block = re.search(rf"^{re.escape(name)}==\S+ \\\n((?:\s+--hash=sha256:\w+ ?\\?\n)+)",
                          text, re.MULTILINE | re.IGNORECASE)  # fmt: skip
        assert block, f"{name} has no hash in {lock}"


def test_the_runtime_lock_and_the_test_lock_agree():
    runtime, dev = _pins(ROOT / "requirements.txt"), _pins(ROOT / "requirements-dev.txt")
    assert {n: (v, dev.get(n)) for n, v in runtime.items() if dev.get(n) != v} == {}


def test_new_environments_get_the_pip_of_the_test_lock_with_hashes():
    # scripts/lib.sh installs requirements-pip.txt into every new venv before any lock: the
    # pip a new venv brings (23.2.1 with Python 3.11.7) cannot read the dev lock.
    wanted, dev = _pins(ROOT / "requirements-pip.txt"), _pins(ROOT / "requirements-dev.txt")
    assert wanted == {"pip": dev["pip"]}
    assert (ROOT / "requirements-pip.txt").read_text().count("--hash=sha256:") >= 1

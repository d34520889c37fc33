"""The structure the code keeps: apps import downward only, and modules stay small."""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["hub", "accounts", "repos", "releases", "inference", "moderation", "demo"]
MAX_LINES = 420


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    """import-linter's command on the tree at `tree`, in a process of its own."""
    command = [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)


def test_apps_import_downward_only():
    """hub ← accounts ← repos ← releases ← inference ← moderation ← demo, as the contract in
    pyproject.toml says; an upward import anywhere in an app (tests included) fails here."""
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout


def test_the_contract_catches_an_upward_import(tmp_path):
    """The check itself can fail: a copy of the tree with one upward import is refused."""
    for app in APPS:
        shutil.copytree(ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / "repos" / "access.py").open("a") as fh:
        fh.write("\nfrom releases import rules  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "repos is not allowed to import releases" in result.stdout


@pytest.mark.parametrize("app", APPS)
def test_no_module_passes_about_400_lines(app):
    long = {
        str(path.relative_to(ROOT)): n
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and "tests" not in path.parts
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, "split these into packages of one concern each"


def test_views_never_import_other_apps_views():
    """A view module uses services and selectors; helpers shared by views live below them."""
    offenders = []
    modules = [p for app in APPS for p in (ROOT / app).rglob("*.py")]
    for path in modules:
        if not (path.name.startswith("views") or "views" in path.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                own = path.relative_to(ROOT).parts[0]
                parts = node.module.split(".")
                if parts[0] != own and parts[0] in APPS and "views" in parts[1:]:
                    offenders.append(f"{path.relative_to(ROOT)}: {node.module}")
    assert offenders == []

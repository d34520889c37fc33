"""The structure the code keeps: apps import downward only, and modules stay small."""

import ast
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
APPS = ["hub", "accounts", "repos", "releases", "inference", "moderation", "demo"]
MAX_LINES = 420


def test_apps_import_downward_only(monkeypatch):
    """hub ← accounts ← repos ← releases ← inference ← moderation ← demo, as the contract in
    pyproject.toml says; an upward import anywhere in an app (tests included) fails here."""
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename="pyproject.toml", no_cache=True, no_logo=True) == 0


def test_the_contract_catches_an_upward_import(tmp_path, monkeypatch):
    """The check itself can fail: a copy of the tree with one upward import is refused."""
    import shutil

    for app in APPS:
        shutil.copytree(ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / "repos" / "access.py").open("a") as fh:
        fh.write("\nfrom releases import rules  # noqa\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert lint_imports(config_filename="pyproject.toml", no_cache=True, no_logo=True) == 1


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

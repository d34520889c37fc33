"""The benchmarks' quick mode (bench/common.py): every benchmark offers it, so that
scripts/bench-quick (in CI) runs each one at tiny sizes and a benchmark that rots fails."""

import argparse
import ast
import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if p.name != "common.py")


@pytest.fixture
def common(monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_common", BENCH / "common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    return module


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser()
    found.add_argument("--rounds", type=int, default=100)
    found.add_argument("--files", type=int, nargs="+", default=[10, 100, 1000])
    return found


def run(common, monkeypatch, *argv: str, **quick) -> argparse.Namespace:
    monkeypatch.setattr(sys, "argv", ["bench/example.py", *argv])
    monkeypatch.setattr(common, "QUICK", "--quick" in argv)
    return common.arguments(parser(), **quick)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_benchmark_parses_its_arguments_with_the_quick_mode(script):
    calls = [
        node.func.id
        for node in ast.walk(ast.parse(script.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    ]
    assert "arguments" in calls, f"{script.name} has no --quick (common.arguments)"


def test_quick_mode_takes_the_quick_sizes_the_command_line_leaves_out(common, monkeypatch):
    args = run(common, monkeypatch, "--quick", "--rounds", "7", rounds=3, files=[10, 30])
    assert (args.quick, args.rounds, args.files) == (True, 7, [10, 30])


def test_a_full_run_keeps_the_defaults(common, monkeypatch):
    args = run(common, monkeypatch, rounds=3, files=[10, 30])
    assert (args.quick, args.rounds, args.files) == (False, 100, [10, 100, 1000])


def test_a_quick_size_for_an_option_the_benchmark_lacks_is_refused(common, monkeypatch):
    with pytest.raises(TypeError, match="sizes"):
        run(common, monkeypatch, "--quick", size=3)


def test_a_quick_run_never_drops_the_database_a_full_run_seeded(common, monkeypatch):
    full = common.database_url("hub_bench")
    monkeypatch.setattr(common, "QUICK", True)
    assert full.endswith("/hub_bench")
    assert common.database_url("hub_bench").endswith("/hub_bench_quick")

"""Test-inference pipeline benchmark: 200 jobs through the whole pipeline (Redis queue, Celery
worker processes, onnxruntime, signing under the nonce lock, broadcast, receipt) with 1, 2 and
4 worker processes, against a plain web3 loop sending the same 200 transactions.

    .venv/bin/python bench/inference.py                 # 200 jobs, 1/2/4 processes
    .venv/bin/python bench/inference.py --jobs 50 --processes 4
    .venv/bin/python bench/inference.py --quick           # 4 jobs, 2 processes: it runs

For each process count: jobs per second (first job sent → last job confirmed), and latency
(median, p95) from sending a job to its confirmation and from its transaction's broadcast to
its confirmation; nonce problems and failures are counted. The plain loop signs, sends and
waits for each receipt in turn with web3.py, from an account of its own, calling the same
contract function with the same arguments. Uses a local anvil node (automine), Redis
database 13 (BENCH_REDIS_URL) and its own PostgreSQL database (BENCH_DATABASE_URL, default
.../hub_bench_inference, dropped and recreated).
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import (
    ROOT,
    arguments,
    configure,
    free_port,
    percentile,
    recreate_database,
    work_folder,
)

WORK = work_folder("inference")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


ANVIL_PORT = free_port()
BENCH_DB = configure(
    "hub_bench_inference",
    MEDIA_ROOT=str(WORK / "media"),
    DATA_DIR=str(WORK / "data"),
    REDIS_URL=REDIS,
    CHAIN_RPC_URL=f"http://127.0.0.1:{ANVIL_PORT}",
    CHAIN_PRIVATE_KEY_FILE=str(WORK / "signing-key"),
)

from django.contrib.auth.models import Permission  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from eth_account import Account  # noqa: E402

from accounts.models import User  # noqa: E402
from hub import demo_models  # noqa: E402
from hub.celery import app  # noqa: E402
from inference import chain, services, tensors  # noqa: E402
from inference.anvil import start_anvil  # noqa: E402
from inference.models import FINISHED, InferenceJob, Status  # noqa: E402
from inference.tasks import run_inference  # noqa: E402
from releases.services.files import file_add_content  # noqa: E402
from releases.services.releases import repository_create  # noqa: E402
from releases.tasks import read_onnx_signature  # noqa: E402
from repos.models import License, Task  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def setup_chain():
    anvil = start_anvil(ANVIL_PORT, "--silent")
    w3 = chain.web3(f"http://127.0.0.1:{ANVIL_PORT}")
    hub_key, plain_key = Account.create(), Account.create()
    for account in (hub_key, plain_key):
        w3.provider.make_request("anvil_setBalance", [account.address, hex(10**24)])
    (WORK / "signing-key").write_text(hub_key.key.hex())
    address, _ = chain.deploy(w3, hub_key, chain.HUB_CONTRACT)
    os.environ["CHAIN_CONTRACT_ADDRESS"] = address
    from django.conf import settings

    settings.CHAIN_CONTRACT_ADDRESS = address
    return anvil, w3, plain_key


def setup_model():
    recreate_database(BENCH_DB)
    connection.close()
    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", password="bench-password-123", is_staff=True)
    # Staff run test inferences with the permission (repos.access.may_run_inference).
    user.user_permissions.add(Permission.objects.get(codename="run_inference"))
    repo = repository_create(
        owner=user,
        name="bench-direction",
        task=Task.objects.first(),
        license=License.objects.first(),
    )
    rf = file_add_content(
        release=repo.releases.get(),
        path="direction.onnx",
        data=demo_models.direction_classifier(),
        user=user,
    )
    read_onnx_signature(rf.blob.pk)
    rf.refresh_from_db()
    return user, rf


def make_jobs(rf, user, count: int) -> list[InferenceJob]:
    spec = tensors.input_specs(rf.blob.onnx_signature)[0]
    jobs = []
    for i in range(count):
        text = f"[[{i % 7}, 0.{i % 10}, -1.5, 2, 0.25, {i}]]"
        inputs = {spec.name: tensors.parse_input(spec, text, max_values=4096)}
        jobs.append(
            services.job_create(file=rf, user=user, mode="VANILLA", inputs=inputs, enqueue=False)
        )
    return jobs


def start_workers(processes: int, queue: str, log: Path) -> subprocess.Popen:
    name = f"bench-{processes}@%h"
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "hub", "worker", f"--concurrency={processes}",
         "-Q", queue, "-n", name, "--loglevel=WARNING", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    hostname = name.replace("%h", socket.gethostname())
    deadline = time.monotonic() + 180  # a busy machine starts it slowly
    while time.monotonic() < deadline:
        if app.control.ping(destination=[hostname], timeout=1):
            # Each pool process loads onnxruntime and the model on its first job: warm up.
            return proc
    proc.kill()
    raise SystemExit(f"the worker did not start; see {log}")


def run_pipeline(rf, user, jobs_count: int, processes: int) -> dict:
    queue = f"bench-inference-{processes}"
    workers = start_workers(processes, queue, WORK / f"worker-{processes}.log")
    try:
        warm = make_jobs(rf, user, processes * 2)
        for job in warm:
            run_inference.apply_async(args=[job.pk], queue=queue)
        wait_finished([j.pk for j in warm], 120)
        jobs = make_jobs(rf, user, jobs_count)
        ids = [j.pk for j in jobs]
        sent = {}
        start = time.time()
        for job in jobs:
            sent[job.pk] = time.time()
            run_inference.apply_async(args=[job.pk], queue=queue)
        wait_finished(ids, 600)
    finally:
        workers.terminate()
        workers.wait(timeout=60)
    done = list(InferenceJob.objects.filter(pk__in=ids))
    confirmed = [j for j in done if j.status == Status.CONFIRMED]
    end = max(j.finished_at.timestamp() for j in done)
    return {
        "processes": processes,
        "jobs": len(done),
        "confirmed": len(confirmed),
        "failed": len(done) - len(confirmed),
        "nonce_problems": sum("nonce" in (j.last_problem + j.error).lower() for j in done),
        "distinct_nonces": len({j.nonce for j in confirmed}),
        "rate": len(confirmed) / (end - start),
        "e2e": [j.finished_at.timestamp() - sent[j.pk] for j in confirmed],
        "chain": [(j.finished_at - j.submitted_at).total_seconds() for j in confirmed],
    }


def wait_finished(ids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not InferenceJob.objects.filter(pk__in=ids).exclude(status__in=FINISHED).exists():
            return
        time.sleep(0.05)
    raise SystemExit(f"jobs did not finish within {timeout} s")


def run_plain(w3, account, rf, count: int) -> float:
    """The same contract call, signed and sent one after another, each awaited."""
    contract = chain.LocalBackend().contract(w3)
    outputs_hash = bytes.fromhex("11" * 32)
    nonce = w3.eth.get_transaction_count(account.address, "pending")
    chain_id = w3.eth.chain_id
    start = time.perf_counter()
    for i in range(count):
        call = contract.functions.record(
            os.urandom(32), rf.blob.blob_id, 0, os.urandom(32), outputs_hash
        )
        gas = call.estimate_gas({"from": account.address})
        tip = w3.eth.max_priority_fee
        base = w3.eth.get_block("latest")["baseFeePerGas"]
        tx = call.build_transaction(
            {"from": account.address, "nonce": nonce + i, "chainId": chain_id,
             "gas": int(gas * 1.25) + 10_000, "maxFeePerGas": 2 * base + tip,
             "maxPriorityFeePerGas": tip}
        )  # fmt: skip
        tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.1)
        assert receipt["status"] == 1
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    args = arguments(parser, jobs=4, processes=[2])
    anvil, w3, plain_key = setup_chain()
    try:
        user, rf = setup_model()
        app.control.purge()
        plain = run_plain(w3, plain_key, rf, args.jobs)
        print(f"plain web3 loop: {args.jobs} transactions, {plain:.1f} tx/s")
        print(
            "processes  jobs/s  ratio  e2e median  e2e p95  chain median  chain p95  "
            "failed  nonce problems"
        )
        for processes in args.processes:
            r = run_pipeline(rf, user, args.jobs, processes)
            assert r["distinct_nonces"] == r["confirmed"]
            e2e, on_chain = r["e2e"], r["chain"]
            print(
                f"{processes:>9}  {r['rate']:6.1f}  {r['rate'] / plain:5.2f}  "
                f"{ms(statistics.median(e2e)):>10}  {ms(percentile(e2e, 0.95)):>7}  "
                f"{ms(statistics.median(on_chain)):>12}  {ms(percentile(on_chain, 0.95)):>9}  "
                f"{r['failed']:>6}  {r['nonce_problems']:>14}"
            )
    finally:
        anvil.terminate()


if __name__ == "__main__":
    main()

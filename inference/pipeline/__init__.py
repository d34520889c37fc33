"""The life of an inference job in a worker: claim, run the model, sign once, store, broadcast,
follow to the receipt. Every step can run again after a crash or a redelivery and picks up
where the job is: a job with a stored transaction is only followed, never signed again.

- `leases`: the job's lease, checked and renewed by every write of the worker holding it;
- `jobs`: a job's way through a worker, from the claim to a final state or a retry;
- `transactions`: signing, storing, broadcasting and following the job's one transaction.
"""

from inference.pipeline.jobs import advance, give_up, run_model_step, why_not_runnable
from inference.pipeline.leases import (
    LeaseLost,
    claim,
    fail,
    note_problem,
    release,
    stuck_job_ids,
)
from inference.pipeline.transactions import Transient, broadcast, follow, sign_and_store

__all__ = [
    "LeaseLost",
    "Transient",
    "advance",
    "broadcast",
    "claim",
    "fail",
    "follow",
    "give_up",
    "note_problem",
    "release",
    "run_model_step",
    "sign_and_store",
    "stuck_job_ids",
    "why_not_runnable",
]

"""Count the operators of ONNX models whose signature was read before the hub counted them.

Run by the release step (`scripts/serve release`, and `scripts/run`): the models are queued
for the worker, so a release never waits for storage to read large files; `--now` reads them
here instead. Safe to run again: models already counted are skipped.
"""

from django.core.management.base import BaseCommand

from hub import queue
from releases.services.maintenance import onnx_blobs_without_operators
from releases.tasks import count_onnx_operators


class Command(BaseCommand):
    help = "Count the operators of ONNX models read before the hub counted them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", action="store_true", help="Read the models here instead of queueing them."
        )

    def handle(self, *args, now: bool = False, **options):
        pending = onnx_blobs_without_operators()
        if not pending:
            return
        if now:
            for blob_pk in pending:
                count_onnx_operators(blob_pk)
            self.stdout.write(f"Counted the operators of {len(pending)} ONNX model(s).")
            return
        queued = sum(queue.send(count_onnx_operators, blob_pk) for blob_pk in pending)
        self.stdout.write(
            f"Queued {queued} of {len(pending)} ONNX model(s) to count their operators."
            + ("" if queued == len(pending) else " Run again once the broker is reachable.")
        )

"""Fill the IPFS block index of every blob that has none (blobs made before the index
existed, or whose indexing failed). Safe to run again: indexed blobs are skipped."""

from django.core.management.base import BaseCommand

from releases.ipfs.blocks import blobs_without_index, block_index_build
from releases.models import Blob


class Command(BaseCommand):
    help = "Build the IPFS block index of every blob that has none."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Index every blob again.")

    def handle(self, *args, rebuild: bool = False, **options):
        blobs = Blob.objects.order_by("pk") if rebuild else blobs_without_index()
        done = failed = 0
        for blob in blobs.iterator(chunk_size=100):
            try:
                count = block_index_build(blob)
            except (OSError, ValueError) as exc:
                failed += 1
                self.stderr.write(f"{blob.blob_id}: not indexed ({exc})")
                continue
            done += 1
            self.stdout.write(f"{blob.blob_id}: {count} blocks")
        self.stdout.write(f"Indexed {done} blob(s); {failed} failed.")

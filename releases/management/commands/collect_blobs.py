from django.core.management.base import BaseCommand

from releases.services.maintenance import blobs_collect_garbage, uploads_expire


class Command(BaseCommand):
    help = (
        "Delete stored blobs that no release references any more, and the chunks of uploads "
        "left unfinished for longer than --days."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7, help="Age of abandoned uploads.")

    def handle(self, *args, days: int = 7, **options):
        blobs = blobs_collect_garbage()
        expired = uploads_expire(days=days)
        self.stdout.write(
            f"Removed {blobs} unreferenced blob(s) and {expired} abandoned upload(s)."
        )

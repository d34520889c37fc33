"""Reads for the moderators: the reports queue, scoped by the access policy."""

from django.db.models import Case, IntegerField, QuerySet, Value, When

from moderation.models import Report, ReportStatus
from repos import access


def report_queue(*, user, open_only: bool = False) -> QuerySet[Report]:
    """The reports on repositories `user` may read, with what the queue shows of each, to be
    sorted by `report_queue_order`: open reports first, those of the most reported
    repositories first, each repository's reports together, newest first.

    The order is read from `Repository.open_reports` (kept by `moderation.services`): a
    queue of open reports alone (`open_only`, the moderators' usual view) is then walked from
    the most reported repository down on the index of that count, instead of sorted whole.
    """
    reports = Report.objects.filter(access.readable_q(user, prefix="repository__"))
    if open_only:
        reports = reports.filter(status=ReportStatus.OPEN)
    return (
        reports.select_related("repository__owner", "reporter")
        # The columns shown: a page's rows stay narrow.
        .only(
            *(f.name for f in Report._meta.concrete_fields),
            "repository__name",
            "repository__open_reports",
            "repository__owner__username",
            "reporter__username",
        )
        .annotate(
            queue_rank=Case(
                When(status=ReportStatus.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
    )


def report_queue_order(*, open_only: bool = False) -> list[str]:
    order = ["-repository__open_reports", "repository_id", "-created_at"]
    return order if open_only else ["queue_rank", *order]

"""The inference app's Prometheus metric: test inferences by status, asked at scrape time."""

from collections.abc import Iterator

from prometheus_client import Metric

from hub.metrics import counts_by_status
from inference.models import InferenceJob, Status


class JobCollector:
    """Test inferences by status (queued, running, submitted, confirmed, failed)."""

    def collect(self) -> Iterator[Metric]:
        return counts_by_status(
            "hub_inference_jobs",
            "Test inferences by status.",
            InferenceJob.objects.all(),
            Status.values,
        )

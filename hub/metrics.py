"""Prometheus metrics at /metrics (answered by `hub.probes.ProbeMiddleware`).

- Requests: django-prometheus's middleware (latency by view and method, responses by status,
  request and response sizes).
- The hub's own: the collectors named in `settings.METRICS_COLLECTORS`, each asked at scrape
  time (one aggregate query each: uploads and test inferences by status), the upload bytes
  received (`releases.metrics`), and the length of each Celery queue in Redis.

Under gunicorn (`scripts/serve`) every worker process writes its counters into
PROMETHEUS_MULTIPROC_DIR and a scrape adds them up, so any worker's answer covers all.

Only clients whose address (`hub.clientip`) is in METRICS_ALLOWED_IPS, or requests with
`Authorization: Bearer <METRICS_TOKEN>`, get an answer; anyone else a 403.
"""

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.module_loading import import_string
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Metric,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from hub.clientip import client_ip

log = logging.getLogger(__name__)


def allowed(request: HttpRequest) -> bool:
    """From an allowed address, or with the metrics token."""
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in settings.METRICS_ALLOWED_IPS)


def counts_by_status(
    name: str, documentation: str, queryset: QuerySet, statuses: Iterable[str]
) -> Iterator[Metric]:
    """A gauge of rows by `status`, every status listed (0 when none), from one GROUP BY.
    Yields nothing when the database does not answer (the scrape still gets the rest)."""
    try:
        counts = dict(queryset.order_by().values_list("status").annotate(n=Count("pk")))
    except DatabaseError as exc:
        log.warning("metrics query failed metric=%s error=%s", name, exc.__class__.__name__)
        return
    family = GaugeMetricFamily(name, documentation, labels=["status"])
    for status in statuses:
        family.add_metric([status], counts.get(status, 0))
    yield family


class CeleryQueueCollector:
    """Messages waiting in each Celery queue (a Redis list per queue), by LLEN."""

    def collect(self) -> Iterator[Metric]:
        if not settings.REDIS_URL:
            return
        import redis

        queues = sorted(
            {"celery"} | {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
        )
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        try:
            with client.pipeline(transaction=False) as pipe:
                for queue in queues:
                    pipe.llen(queue)
                lengths = pipe.execute()
        except redis.RedisError as exc:
            log.warning("metrics queue lengths failed error=%s", exc.__class__.__name__)
            return
        finally:
            client.close()
        family = GaugeMetricFamily(
            "hub_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        for queue, length in zip(queues, lengths, strict=True):
            family.add_metric([queue], length)
        yield family


class _ProcessMetrics:
    """This process's own metrics (django-prometheus's, the upload bytes), outside gunicorn."""

    def collect(self) -> Iterator[Metric]:
        return REGISTRY.collect()


def registry() -> CollectorRegistry:
    """The metrics of one scrape: every worker's counters, then the collectors."""
    scrape = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(scrape)
    else:
        scrape.register(_ProcessMetrics())
    for path in settings.METRICS_COLLECTORS:
        scrape.register(import_string(path)())
    return scrape


def metrics_view(request: HttpRequest) -> HttpResponse:
    """/metrics, in Prometheus's text format."""
    if not allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    response = HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
    add_never_cache_headers(response)
    return response

"""What load balancers and monitoring ask: /healthz, /readyz and /metrics.

`ProbeMiddleware` answers these three paths near the top of the middleware list, before
Django checks the Host header and before the HTTPS redirect: a load balancer or Prometheus
asks a web process directly, by its address and over plain HTTP, and must get the answer
rather than a 400 or a redirect. Nothing else (sessions, tokens, CSRF) runs for them.

- `/healthz`: liveness. The process is up and answers; nothing else is asked.
- `/readyz`: readiness. The database, Redis (broker and cache), the file storage and the
  chain's RPC node answer, each checked at once with a short timeout by django-health-check;
  200 when all do, 503 naming the ones that did not. A local media folder with less than
  `HUB_STORAGE_MIN_FREE_MB` free is *degraded*: still 200 (pages and downloads work, and
  every web process shares that disk: a 503 would take them all out of a load balancer at
  once), with `"status": "degraded"` and the free space named, for monitoring to alert on and
  a load balancer to match if it should drain. The answer names no host, bucket or key, so
  it may be public.
- `/metrics`: Prometheus metrics (`hub.metrics`), for allowed addresses or a bearer token.
"""

import asyncio
import contextlib
import dataclasses
import datetime
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import health_check.checks
import requests
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.files.storage import storages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from health_check.base import HealthCheck
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView

from hub import metrics

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Storage(HealthCheck):
    """The file storage: the bucket answers a HEAD (S3), or the media folder is writable and
    has at least HUB_STORAGE_MIN_FREE_MB free (less is a warning: degraded, not down)."""

    timeout = datetime.timedelta(seconds=3)

    def run(self) -> None:
        storage = storages["default"]
        if hasattr(storage, "bucket_name"):  # django-storages' S3Storage
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "error")
                raise ServiceUnavailable(f"the bucket refused a HEAD ({code})") from None
            except BotoCoreError as exc:
                raise ServiceUnavailable(
                    f"the storage endpoint did not answer ({exc.__class__.__name__})"
                ) from None
            return
        location = Path(storage.location)
        location.mkdir(parents=True, exist_ok=True)  # as the storage does on its first save
        if not os.access(location, os.W_OK | os.X_OK):
            raise ServiceUnavailable("the media folder is not writable")
        least = settings.HUB_STORAGE_MIN_FREE_MB * 1024**2
        free = shutil.disk_usage(location).free
        if free < least:
            raise ServiceWarning(
                f"{free / 1024**2:.0f} MiB free, under the {settings.HUB_STORAGE_MIN_FREE_MB} "
                "MiB kept for uploads (HUB_STORAGE_MIN_FREE_MB)"
            )


@dataclasses.dataclass
class Chain(HealthCheck):
    """The chain's JSON-RPC node (CHAIN_RPC_URL) answers eth_chainId. Asked with a plain
    HTTP request: the web process does not load web3 for this."""

    timeout = datetime.timedelta(seconds=3)

    def run(self) -> None:
        call = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        try:
            answer = requests.post(settings.CHAIN_RPC_URL, json=call, timeout=(1, 2))
            answer.raise_for_status()
            int(answer.json()["result"], 16)
        except requests.RequestException as exc:
            # The URL may carry a provider's key: only the kind of failure is told.
            raise ServiceUnavailable(
                f"the RPC node did not answer ({exc.__class__.__name__})"
            ) from None
        except (ValueError, KeyError, TypeError):
            raise ServiceUnavailable("the RPC node did not answer with a chain id") from None


def _redis_client():
    from redis.asyncio import Redis as AsyncRedis

    return AsyncRedis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


class Database(health_check.checks.Database):
    """The database answers a SELECT 1 on a connection of its own."""

    timeout = datetime.timedelta(seconds=3)


@contextlib.contextmanager
def _threads() -> Iterator[ThreadPoolExecutor]:
    """Threads for the checks that block. A check still waiting when its timeout is up (a
    database host that accepts but never answers) is left behind, not waited for."""
    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class ReadyView(HealthCheckView):
    """/readyz: every check at once; 200 when all pass, 200 "degraded" when some only warn
    (little room left), else 503 with the failing ones."""

    def get_executor(self):
        return _threads()

    def get_checks(self):
        yield Database()
        if settings.REDIS_URL:  # the broker and the cache
            yield Redis(client_factory=_redis_client)
        yield Storage()
        yield Chain()

    async def get(self, request, *args, **kwargs):
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        checks = {
            type(result.check).__name__.lower(): str(result.error) if result.error else "ok"
            for result in results
        }
        failed = [r for r in results if r.error and not isinstance(r.error, ServiceWarning)]
        warned = [r for r in results if isinstance(r.error, ServiceWarning)]
        if failed:
            names = ",".join(type(r.check).__name__.lower() for r in failed)
            log.warning("not ready failed=%s", names)
            status = "unavailable"
        elif warned:
            names = ",".join(type(r.check).__name__.lower() for r in warned)
            log.warning("degraded warned=%s", names)
            status = "degraded"
        else:
            status = "ready"
        return JsonResponse(
            {"status": status, "checks": checks},
            status=503 if failed else 200,
        )


def healthz(request: HttpRequest) -> HttpResponse:
    """/healthz: the process answers. Asks nothing else."""
    response = HttpResponse("ok\n", content_type="text/plain")
    add_never_cache_headers(response)
    return response


readyz = async_to_sync(ReadyView.as_view())

PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
    "/metrics": metrics.metrics_view,
}


class ProbeMiddleware:
    """Answers the probes' paths itself, before the host check and the HTTPS redirect."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)

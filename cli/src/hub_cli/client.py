"""The hub's HTTP API as the CLI uses it: one httpx client, problems turned into `HubError`
with an exit code, and retries where a request can safely be sent again."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import httpx

from hub_cli import __version__
from hub_cli.config import Settings

# Exit codes scripts can rely on.
OK = 0
FAILED = 1
USAGE = 2
NOT_FOUND = 3  # not found, not allowed, or not authenticated
CONFLICT = 4

RETRY_STATUSES = {429, 502, 503, 504}  # nothing was done; the same request may go again
IDEMPOTENT = {"GET", "HEAD", "PUT", "DELETE"}
ATTEMPTS = 6


class HubError(Exception):
    """An expected failure: printed as `hub: <message>`, then the CLI exits with `code`."""

    def __init__(self, message: str, *, code: int = FAILED, status: int | None = None, body=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.body = body if isinstance(body, dict) else {}


class Stopped(Exception):
    """Raised in worker threads once the user interrupted the command."""


def exit_code(status: int) -> int:
    if status in (400, 422):
        return USAGE
    if status in (401, 403, 404, 410):
        return NOT_FOUND
    if status == 409:
        return CONFLICT
    return FAILED


def error_from(response: httpx.Response) -> HubError:
    """The problem's `detail` (RFC 9457), or the status line when the body is not JSON."""
    body: Any = None
    if "json" in response.headers.get("content-type", ""):
        try:
            body = response.json()
        except ValueError:
            body = None
    detail = None
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("error")
    if not detail:
        detail = f"{response.status_code} {response.reason_phrase or 'error'}"
    if response.status_code == 401:
        detail = f"{detail.rstrip('.')}. Run `hub login` with a token from the hub."
    return HubError(
        str(detail), code=exit_code(response.status_code), status=response.status_code, body=body
    )


def api_path(*segments: str) -> str:
    """/api/v1/ and the segments, each quoted (a file path keeps its slashes)."""
    return "/api/v1/" + "/".join(quote(s, safe="/") for s in segments)


class Client:
    def __init__(self, settings: Settings, *, token: str | None = None) -> None:
        self.url = settings.url
        token = token if token is not None else settings.token
        self.has_token = bool(token)
        # Set on Ctrl-C: threads sending files stop at their next piece, wait or retry.
        self.stopping = threading.Event()
        headers = {"User-Agent": f"hub-cli/{__version__}", "Accept": "application/json"}
        if token:
            # httpx drops it when a redirect leaves the hub (e.g. a presigned storage URL).
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(60.0, connect=15.0),
            follow_redirects=False,
        )
        # For presigned storage URLs (direct uploads): never the hub's token.
        self.storage = httpx.Client(
            headers={"User-Agent": f"hub-cli/{__version__}"},
            timeout=httpx.Timeout(60.0, connect=15.0),
        )

    def close(self) -> None:
        self.http.close()
        self.storage.close()

    def put_storage(
        self, url: str, content: Callable[[], Iterable[bytes]], length: int, on_retry
    ) -> None:
        """PUT a chunk to a presigned storage URL (a part of a direct upload), retried like a
        PUT to the hub; a refusal becomes a HubError quoting the storage's own message."""
        delay = 0.5
        for attempt in range(1, ATTEMPTS + 1):
            if attempt > 1:
                on_retry()
            try:
                response = self.storage.put(
                    url, content=content(), headers={"Content-Length": str(length)}
                )
            except httpx.TransportError as exc:
                if attempt == ATTEMPTS:
                    raise HubError(f"cannot reach the storage: {_reason(exc)}.") from None
                self.pause(delay)
                delay = min(delay * 2, 15)
                continue
            if response.status_code >= 500 and attempt < ATTEMPTS:
                self.pause(delay)
                delay = min(delay * 2, 15)
                continue
            if not response.is_success:
                detail = response.text.strip().splitlines()[0][:200] if response.text else ""
                raise HubError(f"the storage refused a chunk ({response.status_code}): {detail}")
            return

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict | None = None,
        headers: dict | None = None,
        content: Callable[[], Iterable[bytes] | bytes] | None = None,
        on_retry: Callable[[], None] | None = None,
    ) -> httpx.Response:
        """Send a request and return a successful response; raise HubError otherwise.

        Throttling (429, after its Retry-After) and an unavailable hub (502–504) are retried
        for every method: the hub did nothing. A lost connection is retried only for methods
        that can be sent twice. `content` makes the body anew for each attempt; `on_retry`
        runs before each new attempt (e.g. to rewind a progress bar).
        """
        delay = 0.5
        for attempt in range(1, ATTEMPTS + 1):
            if attempt > 1 and on_retry is not None:
                on_retry()
            try:
                response = self.http.request(
                    method,
                    path,
                    json=json,
                    params=params,
                    headers=headers,
                    content=content() if content is not None else None,
                )
            except httpx.TransportError as exc:
                # Nothing listening (refused, unknown host) is not worth a long wait.
                give_up = ATTEMPTS if not isinstance(exc, httpx.ConnectError) else 2
                if method in IDEMPOTENT and attempt < give_up:
                    self.pause(delay)
                    delay = min(delay * 2, 15)
                    continue
                raise HubError(f"cannot reach {self.url}: {_reason(exc)}.") from None
            if response.status_code in RETRY_STATUSES and attempt < ATTEMPTS:
                wait = _retry_after(response) or delay
                delay = min(delay * 2, 15)
                self.pause(min(wait, 60))
                continue
            if response.is_success:
                return response
            raise error_from(response)
        raise AssertionError("unreachable")

    def pause(self, seconds: float) -> None:
        """Sleep, unless the command is being stopped."""
        if self.stopping.wait(seconds):
            raise Stopped

    def get(self, path: str, **params) -> Any:
        return self.request("GET", path, params=params or None).json()

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json=body).json()

    def stream(self, path: str, headers: dict) -> httpx.Response:
        """A GET whose body is read by the caller (downloads); redirects are followed."""
        try:
            request = self.http.build_request("GET", path, headers=headers)
            response = self.http.send(request, stream=True, follow_redirects=True)
        except httpx.TransportError as exc:
            raise HubError(f"cannot reach {self.url}: {_reason(exc)}.") from None
        if not response.is_success:
            response.read()
            response.close()
            raise error_from(response)
        return response


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]

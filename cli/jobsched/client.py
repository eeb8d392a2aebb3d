"""The HTTP API, and nothing else: JSON over HTTP(S), a Bearer token or SigV4 (--iam)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

USER_AGENT = "jobsched/0.1"
_REGION_IN_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com")


class ApiError(Exception):
    """An error answer of the API (or no answer at all): code, message, suggestion."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 0,
        suggestion: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.suggestion = suggestion
        self.details = details

    @classmethod
    def from_response(cls, status: int, raw: bytes) -> ApiError:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            # API Gateway's own answers ({"message": ...}) and anything else.
            message = body.get("message") if isinstance(body, dict) else None
            text = str(message or raw[:200].decode(errors="replace") or f"HTTP {status}")
            return cls(f"http_{status}", text, status=status, suggestion=_hint(status))
        details = error.get("details")
        suggestion = error.get("suggestion")
        if suggestion is None and isinstance(details, dict):
            suggestion = details.get("suggestion")
        return cls(
            str(error.get("code") or f"http_{status}"),
            str(error.get("message") or ""),
            status=status,
            suggestion=str(suggestion) if suggestion else _hint(status),
            details=details,
        )


def _hint(status: int) -> str | None:
    if status in (401, 403):
        return "check --token / JOBSCHED_TOKEN (or --iam for an IAM-authorized API)"
    if status == 404:
        return "check the id with `jobsched list`"
    if status in (429, 503):
        return "retry in a moment"
    return None


@dataclass(frozen=True)
class Connection:
    api_url: str
    token: str | None = None
    iam: bool = False
    region: str | None = None
    timeout: float = 30.0


@dataclass
class Client:
    connection: Connection
    _credentials: Any = field(default=None, repr=False)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """The decoded JSON answer (None for 204); ApiError for any other outcome."""
        url = self.connection.api_url.rstrip("/") + path
        params = {k: str(v) for k, v in (query or {}).items() if v is not None}
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        sent = {"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
        if data is not None:
            sent["Content-Type"] = "application/json"
        if self.connection.iam:
            sent = self._sign(method, url, sent, data)
        elif self.connection.token:
            sent["Authorization"] = f"Bearer {self.connection.token}"
        request = urllib.request.Request(url, data=data, method=method, headers=sent)  # noqa: S310  # the URL is the user's API
        try:
            with urllib.request.urlopen(request, timeout=self.connection.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise ApiError.from_response(error.code, error.read()) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ApiError(
                "connection_failed",
                f"cannot reach {self.connection.api_url}: {reason}",
                suggestion="start the local stack with `make run`, or pass --api-url",
            ) from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError(
                "bad_response", f"the API answered something that is not JSON: {raw[:80]!r}"
            ) from None

    def _sign(
        self, method: str, url: str, headers: dict[str, str], data: bytes | None
    ) -> dict[str, str]:
        # botocore only for signing and the standard credential chain: no AWS call is made.
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.session import Session

        session = Session()
        if self._credentials is None:
            self._credentials = session.get_credentials()
        if self._credentials is None:
            raise ApiError(
                "no_credentials",
                "--iam needs AWS credentials and none were found",
                suggestion="set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
            )
        region = self.connection.region or _region_of(url) or session.get_config_variable("region")
        request = AWSRequest(method=method, url=url, data=data or b"", headers=headers)
        SigV4Auth(
            self._credentials.get_frozen_credentials(), "execute-api", region or "us-east-1"
        ).add_auth(request)
        return dict(request.headers.items())

    def pages(
        self, path: str, query: Mapping[str, Any], *, follow: bool
    ) -> Iterator[dict[str, Any]]:
        """Pages of a list endpoint; with ``follow``, every page (cursor after cursor)."""
        params = dict(query)
        while True:
            page: dict[str, Any] = self.request("GET", path, query=params)
            yield page
            cursor = page.get("next_cursor")
            if not follow or not cursor:
                return
            params["cursor"] = cursor

    def all_items(self, path: str, query: Mapping[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self.pages(path, {**query, "limit": 100}, follow=True):
            items.extend(page.get("items", []))
        return items


def _region_of(url: str) -> str | None:
    match = _REGION_IN_HOST.search(urllib.parse.urlsplit(url).netloc)
    return match.group(1) if match else None

"""The local stack's options and the checks that need nothing heavy: kept free of boto3
and moto so that `python -m local` can refuse a busy port before it imports them."""

from __future__ import annotations

import errno
import json
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_STACK = "job-scheduler-local"


@dataclass(frozen=True)
class HttpSubscription:
    """``--subscribe-http URL [FILTER]``: an operator's view of the whole topic (every
    tenant), narrowed by an SNS filter policy if given."""

    url: str
    filter_policy: dict[str, Any] | None = None

    @classmethod
    def parse(cls, url: str, policy: str | None) -> HttpSubscription:
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError("the URL must start with http:// or https://")
        if policy is None:
            return cls(url)
        try:
            parsed = json.loads(policy)
        except ValueError as exc:
            raise ValueError(f"the filter is not JSON: {exc}") from exc
        if not isinstance(parsed, dict) or not parsed:
            raise ValueError('the filter is a JSON object, e.g. {"type": ["execution.failed"]}')
        return cls(url, parsed)


@dataclass
class Options:
    moto_port: int = 5000
    api_port: int = 3000
    lambda_port: int = 3001
    endpoint_url: str | None = None
    state_file: Path | None = None
    allow_loopback_targets: bool = True
    subscribe_http: list[HttpSubscription] = field(default_factory=list)
    verbose: bool = False
    stack_name: str = DEFAULT_STACK
    # How long the state file waits for more changes before it writes them together.
    save_delay_s: float = 0.2
    print_events: bool = True
    # Template parameter overrides (as `sam deploy --parameter-overrides`).
    parameters: dict[str, str] = field(default_factory=dict)
    # Run the functions' own schedules (the reconciler's) this often instead.
    periodic_every_s: float | None = None

    def listeners(self) -> list[tuple[str, int, str, str]]:
        """(what, port, option, env var) of each port this process listens on."""
        ports = [
            ("HTTP API", self.api_port, "--api-port", "API_PORT"),
            ("Lambda API", self.lambda_port, "--lambda-port", "LAMBDA_PORT"),
        ]
        if not self.endpoint_url:
            ports.insert(0, ("moto", self.moto_port, "--moto-port", "MOTO_PORT"))
        return ports


class PortUnavailableError(OSError):
    """A port the stack needs is taken (or not ours to take); the message says which
    and how to choose another."""


def port_problem(what: str, port: int, option: str, env: str, error: OSError) -> str:
    reason = "is already in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error})"
    return (
        f"port {port} ({what}) {reason}: stop what listens there, or choose another port "
        f"with {option} N or {env}=N"
    )


def check_ports(options: Options, host: str = "127.0.0.1") -> None:
    """Raise PortUnavailableError for the first port that cannot be bound, or for two
    options naming one port. Binding (not connecting) also finds a port taken on
    0.0.0.0 or held by a socket that does not answer."""
    seen: dict[int, str] = {}
    for what, port, option, env in options.listeners():
        if port in seen:
            raise PortUnavailableError(
                errno.EADDRINUSE,
                f"{seen[port]} and {option} are both {port}: give each its own port",
            )
        seen[port] = option
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # As the servers themselves bind: a port in TIME_WAIT is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
                probe.listen(1)
            except OSError as exc:
                raise PortUnavailableError(
                    exc.errno, port_problem(what, port, option, env, exc)
                ) from exc

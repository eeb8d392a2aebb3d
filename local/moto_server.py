"""moto's server on loopback, and the process environment that points boto3 at it."""

from __future__ import annotations

import logging
import os
import socket

from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from local.template import REGION

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


class MotoServer:
    """ThreadedMotoServer bound to 127.0.0.1 (never 0.0.0.0: it accepts any credentials)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        # Werkzeug logs every request at INFO; the console is for lifecycle events.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if port_in_use(self.port):
            raise OSError(f"port {self.port} is in use (set MOTO_PORT or --endpoint-url)")
        self._server.start()

    def stop(self) -> None:
        self._server.stop()


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def point_boto3_at(endpoint_url: str, lambda_url: str | None) -> None:
    """Set the endpoint and fake credentials in os.environ and drop cached clients and
    settings, so every boto3 client of the process (ours and the handlers') uses them."""
    from jobscheduler.aws import reset_clients
    from jobscheduler.settings import reset_settings

    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    if lambda_url:
        os.environ["AWS_ENDPOINT_URL_LAMBDA"] = lambda_url
    for key, value in FAKE_CREDENTIALS.items():
        os.environ[key] = value
    # A developer's profile must not leak real credentials into the local stack.
    os.environ.pop("AWS_PROFILE", None)
    reset_clients()
    reset_settings()

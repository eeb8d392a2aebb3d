"""moto's server on loopback, and the process environment that points boto3 at it."""

from __future__ import annotations

import logging
import os
import socket
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from local.template import REGION

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


class MotoServer:
    """moto's WSGI app on 127.0.0.1 (never 0.0.0.0: it accepts any credentials).

    Not moto's ThreadedMotoServer: it binds in its thread and waits for it without a
    timeout, so a busy port made startup hang. Here the socket is bound in the caller's
    thread (a busy port raises OSError at once) and only serving runs in a thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        # Werkzeug logs every request at INFO; the console is for lifecycle events.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            "127.0.0.1", self.port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="moto", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)


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

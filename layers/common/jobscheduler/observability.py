"""Powertools Logger, Metrics and Tracer: one instance each per process."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

logger = Logger()
metrics = Metrics(namespace="JobScheduler")

Handler = TypeVar("Handler", bound=Callable[..., Any])
_TRUE = ("1", "true", "yes")


class LazyTracer:
    """Powertools' Tracer, built at the first invocation and only when tracing is on.

    Constructing ``Tracer()`` imports aws_xray_sdk (about 300 ms of cold start) even with
    POWERTOOLS_TRACE_DISABLED set, so the handlers' decorator must not build it at import.
    With the SDK off, Lambda's active tracing still records each invocation's segment.
    """

    def __init__(self) -> None:
        self._tracer: Tracer | None = None
        self._resolved = False

    def get(self) -> Tracer | None:
        if not self._resolved:
            if os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() not in _TRUE:
                from aws_lambda_powertools import Tracer

                self._tracer = Tracer()
            self._resolved = True
        return self._tracer

    def capture_lambda_handler(self, handler: Handler) -> Handler:
        traced: list[Callable[..., Any]] = []

        @functools.wraps(handler)
        def wrapper(event: Any, context: Any) -> Any:
            if not traced:
                tracer = self.get()
                traced.append(handler if tracer is None else tracer.capture_lambda_handler(handler))
            return traced[0](event, context)

        return wrapper  # type: ignore[return-value]


tracer = LazyTracer()

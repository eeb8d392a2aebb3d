"""AWS failures -> ``DependencyUnavailable`` for the stores (the helper lives with the
clients, in jobscheduler.aws, so dal/ and gateways/ translate errors the same way)."""

from __future__ import annotations

from jobscheduler.aws import unavailable

__all__ = ["unavailable"]

"""Powertools Logger, Metrics and Tracer: one instance each per process."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics(namespace="JobScheduler")
tracer = Tracer()

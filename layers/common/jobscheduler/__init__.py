"""Shared domain package of the serverless job scheduler (shipped as the Lambda layer)."""

__version__ = "0.1.0"

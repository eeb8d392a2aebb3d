"""Pydantic models shared by the API and the executor (no I/O)."""

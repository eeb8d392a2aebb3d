"""In-memory adapters for the ports of jobscheduler.ports (see adapters.py)."""

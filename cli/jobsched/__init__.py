"""jobsched: the job scheduler's command line. A client of the public HTTP API only."""

__version__ = "0.1.0"

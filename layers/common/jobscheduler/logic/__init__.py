"""Use cases: the API's schedule operations and the executor's run. No boto3 here."""

"""Operator tools that talk to a deployed stack with the operator's AWS credentials."""

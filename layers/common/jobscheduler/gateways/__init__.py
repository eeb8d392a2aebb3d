"""Gateways: EventBridge Scheduler, SNS, Lambda and the task targets (the only boto3 users besides dal)."""

"""Adapters for external services, each chosen by config with an embedded default.

Nothing outside this package imports an SDK (boto3, resend, sentry_sdk, HTTP clients).
"""

"""Building the boto3 DynamoDB client for the configured endpoint, with short timeouts so that a
DynamoDB outage costs seconds, never a frozen workstation."""

from __future__ import annotations

import boto3
from botocore.config import Config


def make_client(endpoint: str | None, region: str, *, local: bool):
    cfg = Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"})
    kwargs = {"region_name": region, "config": cfg}
    if endpoint:
        kwargs["endpoint_url"] = endpoint
    if local:
        # DynamoDB Local accepts any credentials; fixed ones keep every instance on the same shared db.
        kwargs.update(aws_access_key_id="local", aws_secret_access_key="local")
    return boto3.client("dynamodb", **kwargs)

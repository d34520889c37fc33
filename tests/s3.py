"""A local S3 server (moto) for the tests that need object storage, and its client."""

from collections.abc import Iterator
from contextlib import contextmanager

import boto3

from tests.conftest import free_port

REGION = "us-east-1"
KEYS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **KEYS)


@contextmanager
def moto_server(*buckets: str) -> Iterator[str]:
    """moto's S3 server on a free local port, with `buckets` made; yields its endpoint."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for bucket in buckets:
        client(endpoint).create_bucket(Bucket=bucket)
    try:
        yield endpoint
    finally:
        server.stop()

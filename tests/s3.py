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


def storage_backend(endpoint: str, bucket: str, **options) -> dict:
    """The STORAGES["default"] entry for `bucket` on the local S3 server, as hub/settings.py
    makes it for STORAGE_BACKEND=s3."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "access_key": KEYS["aws_access_key_id"],
            "secret_key": KEYS["aws_secret_access_key"],
            "region_name": REGION,
            "file_overwrite": False,
            "signature_version": "s3v4",
            **options,
        },
    }

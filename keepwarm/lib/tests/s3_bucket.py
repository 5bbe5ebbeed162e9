"""A real S3 API on loopback for the tests of uploaded files in a bucket (KEEPWARM_S3_BUCKET).

moto in server mode answers over HTTP on 127.0.0.1, and django-storages with boto3 speak to
it exactly as to a provider's. Tests ask for the `bucket` fixture (keepwarm/conftest.py).
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from keepwarm.settings import media_storage

KEY, SECRET, REGION = "test-key", "test-secret", "eu-west-2"


@dataclass
class Bucket:
    s3: Any  # a boto3 S3 client of its own, as the agency's operator would use
    name: str

    def keys(self) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=self.name)
        return [item["Key"] for item in listing.get("Contents", [])]


@contextmanager
def serving_bucket(settings: Any) -> Iterator[Bucket]:
    """An S3 server on 127.0.0.1 with an empty private bucket; uploads go to it (the
    `bucket` fixture of keepwarm/conftest.py)."""
    name = f"keepwarm-media-{uuid.uuid4().hex[:12]}"  # moto keeps buckets per process
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
    )
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    settings.STORAGES = {
        **settings.STORAGES,
        "default": media_storage(
            bucket=name, endpoint_url=endpoint, region=REGION, access_key=KEY, secret_key=SECRET
        ),
    }
    try:
        yield Bucket(s3, name)
    finally:
        server.stop()

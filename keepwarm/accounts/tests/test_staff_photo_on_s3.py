"""Staff photos in an S3-compatible bucket (KEEPWARM_S3_BUCKET): kept private, served
through the app to those allowed to see them.

The bucket is a real S3 API on loopback: moto in server mode, spoken to over HTTP by
django-storages and boto3 exactly as a provider's would be.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from moto.server import ThreadedMotoServer

from keepwarm.accounts.tests.test_contact_card import png_bytes
from keepwarm.conftest import Cast
from keepwarm.settings import media_storage

KEY, SECRET = "test-key", "test-secret"
PUBLIC = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


@dataclass
class Bucket:
    s3: Any  # a boto3 S3 client of its own, as the agency's operator would use
    name: str

    def keys(self) -> list[str]:
        return [item["Key"] for item in self.s3.list_objects_v2(Bucket=self.name)["Contents"]]


@pytest.fixture
def bucket(settings: Any) -> Iterator[Bucket]:
    """An S3 server on 127.0.0.1 with an empty private bucket; uploads go to it."""
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
        region_name="eu-west-2",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
    )
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    settings.STORAGES = {
        **settings.STORAGES,
        "default": media_storage(
            bucket=name,
            endpoint_url=endpoint,
            region="eu-west-2",
            access_key=KEY,
            secret_key=SECRET,
        ),
    }
    try:
        yield Bucket(s3, name)
    finally:
        server.stop()


def test_a_photo_goes_to_the_bucket_private_and_is_served_by_the_app(
    client: Client, cast: Cast, bucket: Bucket
) -> None:
    client.force_login(cast.owner)
    photo = png_bytes()
    done = client.post(
        "/account/card/",
        {"available_hours": "", "photo": SimpleUploadedFile("me.png", photo, "image/png")},
    )
    assert done.status_code == 302
    cast.owner.refresh_from_db()
    [key] = bucket.keys()
    assert key == f"media/{cast.owner.photo.name}"
    assert bucket.s3.get_object(Bucket=bucket.name, Key=key)["Body"].read() == photo

    # Nobody outside can read it: no grant to everyone, and any URL made for it is
    # signed and expires within minutes.
    grants = bucket.s3.get_object_acl(Bucket=bucket.name, Key=key)["Grants"]
    assert not [g for g in grants if g["Grantee"].get("URI") in PUBLIC]
    query = parse_qs(urlsplit(default_storage.url(cast.owner.photo.name)).query)
    assert query["X-Amz-Expires"] == ["300"] and "X-Amz-Signature" in query

    # A colleague sees it through the app; a stranger who is not signed in does not.
    client.force_login(cast.colleague)
    served = client.get(f"/staff-photo/{cast.owner.pk}/")
    assert served.status_code == 200 and served.content == photo
    assert served["Cache-Control"] == "private, max-age=3600"
    assert Client().get(f"/staff-photo/{cast.owner.pk}/").status_code == 404


def test_a_replaced_photo_is_deleted_from_the_bucket(
    client: Client, cast: Cast, bucket: Bucket
) -> None:
    client.force_login(cast.owner)
    for name in ("first.png", "second.png"):
        client.post(
            "/account/card/",
            {"available_hours": "", "photo": SimpleUploadedFile(name, png_bytes(), "image/png")},
        )
    cast.owner.refresh_from_db()
    assert bucket.keys() == [f"media/{cast.owner.photo.name}"]  # the old face is gone

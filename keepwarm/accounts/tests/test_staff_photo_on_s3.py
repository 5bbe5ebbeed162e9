"""Staff photos in an S3-compatible bucket (KEEPWARM_S3_BUCKET): kept private, served
through the app to those allowed to see them.

The bucket is a real S3 API on loopback (keepwarm/lib/tests/s3_bucket.py).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from keepwarm.accounts.tests.test_contact_card import png_bytes
from keepwarm.conftest import Cast
from keepwarm.lib.tests.s3_bucket import Bucket

PUBLIC = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


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

"""My account: a consultant sets the hours and photo that placed people and clients see."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from keepwarm.accounts.forms import PHOTO_MAX_BYTES
from keepwarm.conftest import Cast
from keepwarm.portal.tests.conftest import sign_in


def png_bytes() -> bytes:
    """A real 1×1 PNG, built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x1f\x8a\x7f")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def olivia(client: Client, cast: Cast) -> Client:
    client.force_login(cast.owner)
    return client


def _save(client: Client, **data: Any) -> Any:
    return client.post("/account/card/", {"available_hours": "", **data})


def test_hours_and_a_png_photo_are_saved_and_served(
    olivia: Client, cast: Cast, media: Path
) -> None:
    photo = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")
    done = _save(olivia, available_hours="  Mon–Fri   9–17 ", photo=photo)
    assert done.status_code == 302
    cast.owner.refresh_from_db()
    assert cast.owner.available_hours == "Mon–Fri 9–17"
    assert cast.owner.photo.name.startswith("staff/") and cast.owner.photo.name.endswith(".png")
    served = olivia.get(f"/staff-photo/{cast.owner.pk}/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served.content == png_bytes()


def test_a_new_photo_replaces_the_old_file(olivia: Client, cast: Cast, media: Path) -> None:
    _save(olivia, photo=SimpleUploadedFile("a.png", png_bytes()))
    cast.owner.refresh_from_db()
    first = media / cast.owner.photo.name
    assert first.exists()
    _save(olivia, photo=SimpleUploadedFile("b.jpg", JPEG))
    cast.owner.refresh_from_db()
    assert cast.owner.photo.name.endswith(".jpg")
    assert not first.exists()
    assert olivia.get(f"/staff-photo/{cast.owner.pk}/")["Content-Type"] == "image/jpeg"
    _save(olivia, remove_photo="on")
    cast.owner.refresh_from_db()
    assert not cast.owner.photo
    assert olivia.get(f"/staff-photo/{cast.owner.pk}/").status_code == 404


@pytest.mark.parametrize(
    "name, content",
    [
        ("photo.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>x</script></svg>"),
        ("photo.jpg", b"GIF89a\x01\x00\x01\x00"),
        ("photo.png", b"\x89PNG\r\n\x1a\nnot really"),
        ("photo.png", b""),
    ],
)
def test_a_file_that_is_not_really_a_png_or_jpeg_is_refused(
    olivia: Client, cast: Cast, media: Path, name: str, content: bytes
) -> None:
    page = _save(olivia, available_hours="Mon–Fri", photo=SimpleUploadedFile(name, content))
    assert page.status_code == 400
    assert "not a PNG or JPEG" in page.text or "empty" in page.text
    assert 'value="Mon–Fri"' in page.text  # what was typed is kept
    cast.owner.refresh_from_db()
    assert not cast.owner.photo and cast.owner.available_hours == ""
    assert not any(media.rglob("*.*"))


def test_a_photo_over_the_size_limit_is_refused(olivia: Client, cast: Cast, media: Path) -> None:
    big = png_bytes() + b"\x00" * PHOTO_MAX_BYTES
    page = _save(olivia, photo=SimpleUploadedFile("big.png", big))
    assert page.status_code == 400
    assert "choose one of up to 2 MB" in page.text
    cast.owner.refresh_from_db()
    assert not cast.owner.photo


def test_the_photo_is_shown_to_the_people_they_look_after_and_no_one_else(
    cast: Cast, media: Path
) -> None:
    staff = Client()
    staff.force_login(cast.owner)
    _save(staff, photo=SimpleUploadedFile("a.png", png_bytes()))
    url = f"/staff-photo/{cast.owner.pk}/"
    assert Client().get(url).status_code == 404  # nobody signed in
    priya = sign_in(Client(), cast.candidate)
    assert priya.get(url).status_code == 200
    assert f'src="{url}"' in priya.get("/me/").text
    # Oscar does not look after Priya: his photo stays private to her.
    _save(staff_as(cast.outsider), photo=SimpleUploadedFile("o.png", png_bytes()))
    assert priya.get(f"/staff-photo/{cast.outsider.pk}/").status_code == 404


def staff_as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client

"""Uploads cannot exhaust a worker or leak where a photo was taken: pixel and size caps with
Vietnamese messages, every image re-encoded without metadata, other uploads capped too."""
from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.images.models import Image, Rendition

from marketplace.payments.models import BankTransaction

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tmp_media")]

GPS_IFD, ORIENTATION = 0x8825, 0x0112


def bomb_png() -> bytes:
    """1-bit 11000×11000: about 15 KB on disk, 121 million pixels once decoded."""
    out = io.BytesIO()
    PILImage.new("1", (11000, 11000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def gps_jpeg() -> bytes:
    exif = PILImage.Exif()
    exif[ORIENTATION] = 6  # taken with the phone turned: 90° clockwise
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", (21.0, 1.0, 30.0), "E", (105.0, 51.0, 0.0)
    out = io.BytesIO()
    PILImage.new("RGB", (64, 48), "red").save(out, format="JPEG", exif=exif, comment=b"Nha ong A, xom 3")
    return out.getvalue()


def upload(client, name: str, data: bytes):
    return client.post("/admin/images/add/", {"title": name, "file": SimpleUploadedFile(name, data), "collection": 1})


def test_a_decompression_bomb_png_is_refused_with_a_vietnamese_message_before_any_decoding(client, operator):
    data = bomb_png()
    assert len(data) < 40_000
    response = upload(client, "bom.png", data)
    assert response.status_code == 200
    assert "Ảnh quá lớn: tối đa 40000000 điểm ảnh" in response.content.decode()
    assert not Image.objects.exists() and not Rendition.objects.exists()


def test_multiple_upload_refuses_it_too(client, operator):
    response = client.post("/admin/images/multiple/add/", {"files[]": SimpleUploadedFile("bom.png", bomb_png())})
    assert response.json()["success"] is False
    assert "Ảnh quá lớn" in response.json()["error_message"]
    assert not Image.objects.exists()


def test_a_jpeg_is_stored_without_exif_gps_or_comment_and_upright(client, operator):
    original = PILImage.open(io.BytesIO(gps_jpeg()))
    assert original.getexif().get_ifd(GPS_IFD) and original.info.get("comment")
    response = upload(client, "ong.jpg", gps_jpeg())
    assert response.status_code == 302, response.content.decode()[:2000]
    image = Image.objects.get()
    with image.open_file() as stored_file:
        stored = PILImage.open(io.BytesIO(stored_file.read()))
        assert stored.format == "JPEG" and stored.size == (48, 64)  # orientation applied to the pixels
        assert not stored.getexif() and "exif" not in stored.info and "comment" not in stored.info
    assert (image.width, image.height) == (48, 64) and image.file_size == image.file.size


def test_a_png_keeps_its_format_and_transparency(client, operator):
    out = io.BytesIO()
    picture = PILImage.new("RGBA", (20, 10), (0, 0, 0, 0))
    info = __import__("PIL.PngImagePlugin", fromlist=["PngInfo"]).PngInfo()
    info.add_text("Author", "Nguyen Van A")
    picture.save(out, format="PNG", pnginfo=info)
    assert upload(client, "logo.png", out.getvalue()).status_code == 302
    with Image.objects.get().open_file() as stored_file:
        stored = PILImage.open(io.BytesIO(stored_file.read()))
        stored.load()
        assert stored.format == "PNG" and stored.mode == "RGBA" and "Author" not in stored.info


def test_a_file_that_only_looks_like_an_image_is_refused(client, operator):
    data = gps_jpeg()[:200]  # a JPEG header, then nothing
    response = upload(client, "hong.jpg", data)
    assert response.status_code == 200 and not Image.objects.exists()


def test_a_too_large_bank_statement_is_refused_with_a_message(client, operator, settings):
    settings.PAYMENTS_STATEMENT_MAX_UPLOAD_SIZE = 1024
    big = SimpleUploadedFile("s.csv", b"date,amount_vnd,description,transaction_id\n" + b"2025-09-01,1,x,A\n" * 200)
    response = client.post("/admin/payments/statement/", {"file": big})
    assert response.status_code == 400
    assert "Tệp quá lớn" in response.content.decode() and not BankTransaction.objects.exists()


def test_documents_have_a_size_cap(client, operator, settings):
    from wagtail.documents.models import Document

    assert settings.WAGTAILDOCS_MAX_UPLOAD_SIZE == 20 * 1024 * 1024  # Wagtail's default is no cap at all
    settings.WAGTAILDOCS_MAX_UPLOAD_SIZE = 1024
    response = client.post("/admin/documents/add/", {
        "title": "x", "file": SimpleUploadedFile("x.pdf", b"%PDF-1.4\n" + b"0" * 4096), "collection": 1})
    assert response.status_code == 200 and not Document.objects.exists()


def assert_stored_without_metadata(image) -> None:
    with image.open_file() as stored_file:
        stored = PILImage.open(io.BytesIO(stored_file.read()))
        assert stored.format == "JPEG" and stored.size == (48, 64)
        assert not stored.getexif() and "comment" not in stored.info
    assert (image.width, image.height) == (48, 64)


def test_a_multiple_upload_kept_for_later_is_re_encoded_before_it_is_stored(client, operator, settings):
    """When a field other than the file fails (here the title), Wagtail keeps the upload as an
    UploadedFile and builds the image from it later, outside the image form."""
    from wagtail.models import UploadedFile

    response = client.post("/admin/images/multiple/add/", {"files[]": SimpleUploadedFile("ong.jpg", gps_jpeg()), "title": ""})
    upload_id = response.json()["uploaded_file_id"]
    kept = UploadedFile.objects.get(pk=upload_id)
    with kept.file.open() as kept_file:  # already clean while it waits, e.g. under /media/
        assert not PILImage.open(io.BytesIO(kept_file.read())).getexif()
    response = client.post(
        f"/admin/images/multiple/create_from_uploaded_image/{upload_id}/",
        {f"uploaded-image-{upload_id}-title": "Ong A", f"uploaded-image-{upload_id}-collection": 1})
    assert response.json()["success"] is True, response.json()
    assert_stored_without_metadata(Image.objects.get())
    assert not UploadedFile.objects.exists()


def test_the_normal_multiple_upload_re_encodes_once(client, operator, monkeypatch):
    from cms import images

    calls = []
    real = images.image_reencode
    monkeypatch.setattr(images, "image_reencode", lambda **kwargs: calls.append(1) or real(**kwargs))
    response = client.post("/admin/images/multiple/add/", {"files[]": SimpleUploadedFile("ong.jpg", gps_jpeg())})
    assert response.json()["success"] is True and "image_id" in response.json()
    assert_stored_without_metadata(Image.objects.get())
    assert len(calls) == 1


def test_replacing_an_images_file_re_encodes_the_new_file(client, operator):
    assert upload(client, "cu.png", _png()).status_code == 302
    image = Image.objects.get()
    response = client.post(f"/admin/images/{image.pk}/", {
        "title": "Ong A", "file": SimpleUploadedFile("ong.jpg", gps_jpeg()), "collection": 1})
    assert response.status_code == 302, response.content.decode()[:2000]
    image.refresh_from_db()
    assert_stored_without_metadata(image)


def test_the_chooser_upload_re_encodes_too(client, operator):
    response = client.post("/admin/images/chooser/create/", {
        "image-chooser-upload-title": "Ong A", "image-chooser-upload-collection": 1,
        "image-chooser-upload-file": SimpleUploadedFile("ong.jpg", gps_jpeg())})
    assert response.status_code == 200 and response.json()["step"] == "chosen", response.content.decode()[:2000]
    assert_stored_without_metadata(Image.objects.get())


def _png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (8, 8), "blue").save(out, format="PNG")
    return out.getvalue()

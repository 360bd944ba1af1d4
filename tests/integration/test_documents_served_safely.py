"""Documents cannot become stored XSS: only office/pdf/csv/image types are accepted, every
document is served as a download with a no-script CSP, and the files are not served as pages
from /media/."""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents.models import Document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tmp_media")]

SCRIPT_PAGE = b"<html><body><script>alert(document.cookie)</script></body></html>"
SCRIPT_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def add_document(client, name: str, data: bytes):
    return client.post("/admin/documents/add/", {"title": name, "file": SimpleUploadedFile(name, data), "collection": 1})


@pytest.mark.parametrize("name, data", [
    ("trang.html", SCRIPT_PAGE), ("logo.svg", SCRIPT_SVG), ("cai-dat.exe", b"MZ\x90\x00"), ("trang.htm", SCRIPT_PAGE)])
def test_a_page_script_or_program_cannot_be_uploaded_as_a_document(client, operator, name, data):
    response = add_document(client, name, data)
    assert response.status_code == 200 and not Document.objects.exists()


def test_nor_through_the_multiple_upload(client, operator):
    response = client.post("/admin/documents/multiple/add/", {"files[]": SimpleUploadedFile("trang.html", SCRIPT_PAGE)})
    assert response.json()["success"] is False and not Document.objects.exists()


@pytest.mark.parametrize("name", ["ho-so.pdf", "bang-gia.xlsx", "bien-ban.docx", "danh-sach.csv", "anh.jpg"])
def test_the_communes_paperwork_is_accepted(client, operator, name):
    assert add_document(client, name, b"%PDF-1.4\n").status_code == 302
    assert Document.objects.get().filename == name


@pytest.mark.parametrize("name, content_type", [("ho-so.pdf", "application/pdf"), ("ghi-chu.txt", "text/plain")])
def test_every_document_is_served_as_a_download_with_a_no_script_policy(client, name, content_type):
    document = Document.objects.create(title="x", file=ContentFile(b"%PDF-1.4\n", name=name))
    response = client.get(document.url)
    assert response.status_code == 200 and response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_html_document_from_before_the_restriction_is_only_a_download(client):
    document = Document.objects.create(title="x", file=ContentFile(SCRIPT_PAGE, name="trang.html"))
    response = client.get(document.url)
    assert response["Content-Disposition"].startswith("attachment")
    for path in (document.file.name, f"./{document.file.name}", f"original_images/../{document.file.name}"):
        assert client.get(f"/media/{path}").status_code == 404, path


def test_other_media_is_still_served(client, settings):
    (settings.MEDIA_ROOT / "original_images").mkdir(parents=True)
    (settings.MEDIA_ROOT / "original_images" / "anh.png").write_bytes(b"\x89PNG")
    assert client.get("/media/original_images/anh.png").status_code == 200


def test_nor_kept_for_later_when_another_field_fails(client, operator):
    from wagtail.models import UploadedFile

    response = client.post("/admin/documents/multiple/add/", {
        "files[]": SimpleUploadedFile("trang.html", SCRIPT_PAGE), "title": ""})
    assert response.json()["success"] is False
    assert not UploadedFile.objects.exists() and not Document.objects.exists()

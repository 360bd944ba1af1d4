"""Image uploads: a low pixel cap with a Vietnamese message, and every upload re-encoded.

Wagtail checks an upload's size and pixel count from its header before decoding it, against
WAGTAILIMAGES_MAX_UPLOAD_SIZE and WAGTAILIMAGES_MAX_IMAGE_PIXELS (settings): a tiny file that
decodes to a huge bitmap (a 15 KB 1-bit PNG of 11000×11000) is refused there, before any
rendition. The form below then decodes what passed and writes it again in the same format, so
that what is stored is pixels only: EXIF (GPS position, camera serial), XMP and comments are
dropped, the EXIF orientation is applied to the pixels first, and a file that merely claims to
be an image never reaches storage.

Used for every admin upload (add, replace, multiple upload, chooser upload) through
WAGTAILIMAGES_IMAGE_FORM_BASE. The one upload that escapes the form, a multiple upload Wagtail
keeps as an UploadedFile because another field failed, is re-encoded as it is stored
(cms.receivers.on_upload_kept_for_later).
"""
from __future__ import annotations

import io
import os

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage
from PIL import ImageOps
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

# What survives a re-encode: how the pixels are drawn, nothing about who, where or with what.
KEPT_INFO = ("transparency", "icc_profile", "duration", "loop", "background")
JPEG_QUALITY = 90
ANIMATED_FORMATS = ("GIF", "PNG", "WEBP")

MESSAGES = {
    "file_too_many_pixels": _(
        "Ảnh quá lớn: tối đa %(max_pixels_count)s điểm ảnh (ví dụ 8000 × 5000). Hãy thu nhỏ ảnh rồi tải lên lại."),
    "file_too_large": _("Tệp ảnh quá lớn (%(file_size)s); tối đa %(max_filesize)s. Hãy giảm dung lượng ảnh rồi tải lên lại."),
}
UNREADABLE = _("Không đọc được ảnh này; hãy lưu lại ảnh dạng JPEG hoặc PNG rồi tải lên lại.")


def image_reencode(*, upload) -> SimpleUploadedFile:
    """The upload decoded and written again in its own format, without metadata."""
    upload.seek(0)
    with PILImage.open(upload) as original:
        # A phone's JPEG may be an MPO (extra preview frames): the main picture is kept, as JPEG.
        image_format = "JPEG" if original.format == "MPO" else original.format
        if image_format in ANIMATED_FORMATS and getattr(original, "is_animated", False):
            frames = list(_frames(original))
            image, extra = frames[0], {"save_all": True, "append_images": frames[1:]}
        else:
            image, extra = ImageOps.exif_transpose(original), {}
        image.info = {key: value for key, value in original.info.items() if key in KEPT_INFO}
        if image_format == "JPEG":
            if image.mode not in ("RGB", "L", "CMYK"):
                image = image.convert("RGB")
            extra.update(quality=JPEG_QUALITY, optimize=True)
        out = io.BytesIO()
        image.save(out, format=image_format, **image.info, **extra)
    name = os.path.basename(upload.name)
    return SimpleUploadedFile(name, out.getvalue(), content_type=getattr(upload, "content_type", None))


def _frames(image: PILImage.Image):
    """Each frame of an animated GIF/WebP, metadata left behind."""
    for index in range(image.n_frames):
        image.seek(index)
        frame = image.copy()
        frame.info = {key: value for key, value in image.info.items() if key in KEPT_INFO}
        yield frame


class UploadedImageField(WagtailImageField):
    """Wagtail's checks with Vietnamese messages; a file Pillow cannot read is refused, not a 500."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages.update(MESSAGES)

    def to_python(self, data):
        try:
            return super().to_python(data)
        except (OSError, SyntaxError) as exc:  # e.g. a JPEG header with the rest cut off
            raise ValidationError(UNREADABLE, code="invalid_image") from exc


class ImageForm(BaseImageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.fields.get("file")
        if current is not None:  # the multiple-upload edit form has no file field
            self.fields["file"] = UploadedImageField(
                label=current.label, required=current.required, widget=current.widget, max_length=current.max_length)

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload or "file" not in self.changed_data:
            return upload
        try:
            return image_reencode(upload=upload)
        except (OSError, ValueError, SyntaxError, PILImage.DecompressionBombError) as exc:
            # Pillow's errors for a broken or hostile file that passed the header checks.
            raise ValidationError(UNREADABLE, code="invalid_image") from exc

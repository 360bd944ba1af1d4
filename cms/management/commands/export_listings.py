"""`export_listings [FILE.csv]`: the published catalogue in the import format (stdout when no file)."""
from django.core.management.base import BaseCommand

from cms import listing_io


class Command(BaseCommand):
    help = "Xuất mọi SKU đang bán ra CSV UTF-8 cùng định dạng với import_listings (thêm cột weight_gram)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="Tệp CSV để ghi; bỏ trống thì in ra màn hình")

    def handle(self, *args, file: str | None, **options):
        if file is None:
            listing_io.export_listings(self.stdout)
            return
        with open(file, "w", encoding="utf-8", newline="") as out:
            count = listing_io.export_listings(out)
        self.stdout.write(f"Đã xuất {count} SKU vào {file}.")

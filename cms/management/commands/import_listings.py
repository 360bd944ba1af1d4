"""`import_listings FILE.csv [--dry-run]`: all-or-nothing listings import (format in DESIGN.md)."""
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from cms import listing_io
from cms.services import ListingPublishRefused
from marketplace.catalog.listing_csv import COLUMNS, OPTIONAL_COLUMNS
from marketplace.catalog.services import OutOfStock, SkuTaken


class Command(BaseCommand):
    help = (
        f"Nhập sản phẩm từ tệp CSV UTF-8 có tiêu đề {','.join(COLUMNS)} "
        f"(cột tuỳ chọn: {', '.join(OPTIONAL_COLUMNS)}). Mỗi dòng là một SKU. Nhà sản xuất chưa có sẽ được tạo "
        "(đã duyệt) và khi đó cần cột producer_phone. Có lỗi thì không ghi gì."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Đường dẫn tệp CSV")
        parser.add_argument("--dry-run", action="store_true", help="Chỉ kiểm tra và cho biết sẽ tạo/cập nhật gì, không ghi")

    def handle(self, *args, file: str, dry_run: bool, **options):
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp {file}: {exc.strerror}") from exc
        try:
            plan, errors = listing_io.import_listings(data, dry_run=dry_run)
        except (OutOfStock, SkuTaken, ListingPublishRefused, ValidationError, IntegrityError) as exc:  # data changed between the checks and the writes
            raise CommandError(f"Không nhập, dữ liệu không thay đổi: có thay đổi trong lúc nhập ({exc}); hãy chạy lại.") from exc
        if errors:
            for error in errors:
                self.stderr.write(str(error))
            raise CommandError(f"Không nhập: {len(errors)} lỗi, dữ liệu không thay đổi.")
        for line in listing_io.describe_plan(plan):
            self.stdout.write(line)
        prefix = "Chạy thử, chưa ghi gì. Sẽ có — " if dry_run else "Đã nhập. "
        self.stdout.write(self.style.SUCCESS(prefix + listing_io.summary_line(plan)))

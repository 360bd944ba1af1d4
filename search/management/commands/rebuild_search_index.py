from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search.backends.base import SearchUnavailable
from search.services import search_rebuild


class Command(BaseCommand):
    help = "Rebuild the product search index from the catalogue, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (e.g. in logs)")

    def handle(self, *args, **options):
        bar = tqdm(total=0, unit=" sản phẩm", desc="Lập chỉ mục", file=self.stderr._out, disable=options["no_progress"])

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            count = search_rebuild(progress=progress)
        except SearchUnavailable as error:
            raise CommandError(f"Không lập được chỉ mục tìm kiếm: {error}") from error
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(f"Đã lập chỉ mục {count} sản phẩm."))

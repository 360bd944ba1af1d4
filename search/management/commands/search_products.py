import json

from django.core.management.base import BaseCommand, CommandError

from search.backends.base import SearchUnavailable
from search.params import query_from_params
from search.serializers import result_to_json
from search.services import search_products


class Command(BaseCommand):
    help = "Search published products (as buyers do); --json prints one line in the documented shape."

    def add_arguments(self, parser):
        parser.add_argument("query", nargs="?", default="")
        parser.add_argument("--province", help="2025 province code, e.g. 01")
        parser.add_argument("--commune", help="2025 commune code, e.g. 02923")
        parser.add_argument("--stars", help="at least this many OCOP stars")
        parser.add_argument("--category", help="category slug")
        parser.add_argument("--price", help="price range key, e.g. 100000-300000")
        parser.add_argument("--sort", default="relevance", help="relevance | price | -price | newest | stars")
        parser.add_argument("--limit", type=int, default=20)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        params = {key: options[key] for key in ("province", "commune", "stars", "category", "price", "sort")}
        query, messages = query_from_params({"q": options["query"], **params}, per_page=min(options["limit"], 1000))
        try:
            result = search_products(query=query)
        except SearchUnavailable as error:
            raise CommandError(f"Tạm thời không tìm kiếm được: {error}") from error
        if options["json"]:
            self.stdout.write(json.dumps(result_to_json(result), ensure_ascii=False))
            return
        for message in messages:
            self.stderr.write(message)
        if result.did_you_mean:
            self.stdout.write(f"Có phải bạn muốn tìm: {result.did_you_mean}")
        self.stdout.write(f"{result.total} sản phẩm")
        for hit in result.results:
            stars = f"{hit.ocop_stars}★" if hit.ocop_stars else "-"
            place = f"{hit.commune_name}, {hit.province_name}"
            self.stdout.write(f"{hit.score:8.4f}  {hit.sku:<20} {hit.name} — {hit.price_vnd:,} ₫ — {stars} — {place}")

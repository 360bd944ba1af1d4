"""python manage.py import_bank_statement FILE [--mapping date=Ngày,amount_vnd=Số tiền,...]

Records a bank statement's credits (UTF-8 CSV, a BOM is accepted), all or nothing: any bad row
→ every problem printed as `line N, column: reason`, exit code 1, nothing recorded. Transaction
ids already recorded are skipped; exact matches pay their orders; the rest wait for a decision."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from marketplace.payments import services
from marketplace.payments.statements import StatementError, mapping_parse, statement_parse


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--mapping", default="", help="FIELD=COLUMN,... for fields date, amount_vnd, description, transaction_id")

    def handle(self, *args, file: str, mapping: str, **options):
        try:
            text = Path(file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{file}: {error}") from error
        try:
            rows = statement_parse(text=text, mapping=mapping_parse(mapping))
        except StatementError as error:
            for line in error.errors:
                self.stderr.write(line)
            raise CommandError(f"{len(error.errors)} error(s); nothing imported") from error
        counts = services.bank_statement_import(rows=rows)
        summary = ", ".join(f"{key}: {value}" for key, value in sorted(counts.items()))
        self.stdout.write(f"{len(rows)} rows — {summary}")

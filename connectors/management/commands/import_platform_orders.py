"""`python manage.py import_platform_orders [--platform SLUG]`: pull new and cancelled orders from
every configured lane now, store each once, acknowledge what was stored; print a summary."""
from django.core.management.base import BaseCommand, CommandError

from connectors import registry, services
from connectors.models import Platform


class Command(BaseCommand):
    help = "Import new and cancelled orders from the configured platforms now."

    def add_arguments(self, parser):
        parser.add_argument("--platform", choices=Platform.values, help="only this platform")

    def handle(self, *args, platform=None, **options):
        lanes = registry.lanes(platform=platform)
        if not lanes:
            raise CommandError("no platform configured" + (f" for {platform}" if platform else ""))
        failed = False
        for lane in lanes:
            s = services.orders_import(lane=lane)
            self.stdout.write(f"{lane.key}: seen {s.seen}, stored {s.stored}, needs attention {s.needs_attention}, "
                              f"cancelled {s.cancelled}, acknowledged {s.acknowledged}")
            for error in s.errors:
                failed = True
                self.stderr.write(f"  {lane.key}: {error}")
        if failed:
            self.stdout.write("some calls failed; they are tried again on the next run")

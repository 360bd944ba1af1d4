"""`python manage.py sync_listings [--platform SLUG]`: reconcile, then do all pending connector
work now in this process (work waiting for a retry included) and print a summary."""
from django.core.management.base import BaseCommand, CommandError

from connectors import registry, services
from connectors.models import Platform


class Command(BaseCommand):
    help = "Reconcile listings with the configured platforms and push all pending changes now."

    def add_arguments(self, parser):
        parser.add_argument("--platform", choices=Platform.values, help="only this platform")

    def handle(self, *args, platform=None, **options):
        lanes = registry.lanes(platform=platform)
        if not lanes:
            raise CommandError("no platform configured" + (f" for {platform}" if platform else "")
                               + ": set the CONNECTOR_* variables or add a connection in the admin")
        result = services.sync_listings(platform=platform, include_waiting=True)
        self.stdout.write(f"lanes: {', '.join(lane.key for lane in lanes)}")
        self.stdout.write(f"queued by reconcile: {result['queued']}")
        self.stdout.write("calls: {calls} (writes {writes}, status reads {polls}); ok {ok}, to retry {retry}, "
                          "failed {failed}, unchanged {unchanged}".format(**result))
        for action, count in sorted(result["actions"].items()):
            self.stdout.write(f"  {action}: {count}")

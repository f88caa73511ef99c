from django.conf import settings
from django.core.management.base import BaseCommand

from escalation.sweep import sweep


class Command(BaseCommand):
    help = "Run the SLA sweep once, as the beat does every minute."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=settings.REDRESS_SLA_SWEEP_BATCH)

    def handle(self, *args, batch_size: int, **options):
        result = sweep(batch_size=batch_size)
        self.stdout.write(
            f"escalated {len(result.escalated)}, alerted admins about {len(result.alerted)}, "
            f"warned about {len(result.warned)}"
        )

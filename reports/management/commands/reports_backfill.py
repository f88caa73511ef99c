"""Rebuild the reports' facts and day roll-ups: for every case, or for a range of days."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reports import rollup


class Command(BaseCommand):
    help = (
        "Recompute the reports' facts and day roll-ups from the cases: everything, or the "
        "cases with a fact or an event between --from and --to (both days included). The "
        "result is what the beat's folds would have made; a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=date.fromisoformat)
        parser.add_argument("--to", dest="end", type=date.fromisoformat)

    def handle(self, *args, start=None, end=None, **options):
        if (start is None) != (end is None):
            raise CommandError("Give both --from and --to, or neither (everything).")
        began = time.monotonic()
        try:
            result = rollup.rebuild(start=start, end=end)
        except (RuntimeError, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.cases} cases read, {result.changed} with new facts, "
                f"{len(result.days)} days changed, in {time.monotonic() - began:.1f} s."
            )
        )

"""The case files of a period as one archive with a signed manifest, without a size limit."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from reports import archive
from reports.query import ReportFilters
from reports.selectors import is_admin, report_scope
from tickets.models import Category


class Command(BaseCommand):
    help = (
        "Write every case filed between --from and --to (both included) as its case file, "
        "with the register and a signed SHA-256 manifest, into OUTPUT (a ZIP), as the admin "
        "--as sees them. Check it with manage.py verify_case_file OUTPUT."
    )

    def add_arguments(self, parser):
        parser.add_argument("output")
        parser.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
        parser.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
        parser.add_argument("--as", dest="email", required=True, help="an admin's email")
        parser.add_argument("--category", action="append", default=[], help="category codes")

    def handle(self, *args, output, start, end, email, category, **options):
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None or not is_admin(user):
            raise CommandError(f"{email} is not an active admin.")
        ids = tuple(Category.objects.filter(code__in=category).values_list("pk", flat=True))
        if len(ids) != len(set(category)):
            raise CommandError("Unknown category code.")
        filters = ReportFilters(start=start, end=end, category=ids)
        with open(output, "wb") as target:
            written = archive.build(filters, report_scope(user), user, target)
        self.stdout.write(self.style.SUCCESS(f"{output}: {written} case files and the register."))

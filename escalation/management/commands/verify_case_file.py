from django.core.management.base import BaseCommand, CommandError

from escalation.case_file import verify


class Command(BaseCommand):
    help = "Check a case file ZIP: every file against its SHA-256 manifest, and its signature."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path: str, **options):
        try:
            result = verify(path)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        for problem in result.problems:
            self.stderr.write(problem)
        if not result.ok:
            raise CommandError(f"{path}: NOT intact ({len(result.problems)} problems).")
        signature = {True: "signature valid", False: "signature INVALID", None: "not signed"}
        self.stdout.write(
            self.style.SUCCESS(
                f"{path}: intact, {result.files} files match, {signature[result.signed]}."
            )
        )

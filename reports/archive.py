"""The case files of a period as one archive, for a regulator's request.

Inside: each case's own case file (escalation.case_file.build, as the requesting admin
sees it: the complete record), the register of those cases as CSV, and `manifest.json`
with the SHA-256 of every file, signed like a case file's manifest (`manifest.sig`), so
`manage.py verify_case_file` checks the archive as it checks one case file.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from escalation import case_file
from reports import exports, facts, query, rollup
from reports import register as records
from reports.query import ReportFilters
from reports.selectors import Scope
from tickets import web
from tickets.models import Ticket


def count(filters: ReportFilters, scope: Scope) -> int:
    built = rollup.months_built()
    return sum(query.counts(query.rows(facts.FILED, filters, scope, built=built)).values())


def web_limit() -> int:
    return settings.REDRESS_CASE_FILE_ARCHIVE_LIMIT


def build(filters: ReportFilters, scope: Scope, user, output) -> int:
    """Write the archive of every case filed in the range into `output`; returns how many."""
    hashes: dict[str, str] = {}
    written = 0
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_STORED) as archive:
        for ticket_id in records.case_ids(filters, scope):
            ticket = Ticket.objects.select_related("customer__customer_profile", "category").get(
                pk=ticket_id
            )
            name = f"cases/{ticket.reference}-case-file.zip"
            digest = hashlib.sha256()
            with case_file.build(ticket, user) as inner, archive.open(name, "w") as target:
                for chunk in iter(lambda inner=inner: inner.read(1024 * 1024), b""):
                    digest.update(chunk)
                    target.write(chunk)
            hashes[name] = digest.hexdigest()
            written += 1
        register = "".join(
            exports.lines(records.columns(), records.every_row(filters, scope))
        ).encode()
        archive.writestr("register.csv", register)
        hashes["register.csv"] = hashlib.sha256(register).hexdigest()
        manifest = json.dumps(
            {
                "period": {"from": filters.start, "to": filters.end},
                "cases": written,
                "generated_at": timezone.now(),
                "generated_by": user.email,
                "generator": settings.SITE_URL,
                "algorithm": "sha256",
                "files": dict(sorted(hashes.items())),
            },
            cls=DjangoJSONEncoder,
            indent=2,
        ).encode()
        archive.writestr(case_file.MANIFEST, manifest)
        archive.writestr(case_file.SIGNATURE, case_file.sign(manifest) + "\n")
    return written


def download(filters: ReportFilters, scope: Scope, user):
    # Returned open for streaming to the client, so no context manager here.
    output = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
    build(filters, scope, user, output)
    output.seek(0)
    return web.private_download(
        output,
        filename=f"case-files-{filters.start}-{filters.end}.zip",
        content_type="application/zip",
    )

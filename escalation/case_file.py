"""The case file: everything about a case in one ZIP a customer can take to a regulator.

It holds the conversation, structured fields, proposals, votes and decision, the audit
timeline as readable HTML and as JSON, every evidence file, the customer's mails as they
arrived (`originals/*.eml`, byte for byte), the sections apps above add (`chat/*`: the
live chat the case began as, its record and audit trail), and `manifest.json` with the
SHA-256 of each
of those files and, for evidence, the SHA-256 of the file as it was received beside that
of the stored copy. `manifest.sig` is an HMAC of the manifest under a key derived from the
server's secret, so the exchange can also prove the file came from it;
`manage.py verify_case_file` checks both.

It holds what its reader may see (the one scope of tickets.selectors): a customer's file
has no internal note, internal event or staff email in it; a panel member's has no other
member's vote before the decision, and no member's email at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import FileResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from accounts.roles import is_staff_member
from escalation.models import Panel
from sla.models import SLARecord
from tickets import web
from tickets.formatting import amount_text
from tickets.labels import name_for_customer
from tickets.models import STAFF_ONLY_PROPOSALS, MessageOriginal, Ticket
from tickets.selectors import (
    event_data_for,
    ticket_attachments_for,
    ticket_events_for,
    ticket_messages_for,
    votes_secret,
)

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
_SALT = "redress.case-file"


# Apps above this one add their part of a case to its file (chat: the live chat the case
# began as), registered at start-up as tickets.case_page's parts are: a function of the case
# and the reader that returns {name in the ZIP: contents}. Each file is in the manifest and
# signed like the rest; what a section holds is for the section to scope to the reader.
Section = Callable[[Ticket, object], dict[str, bytes]]
_sections: list[Section] = []


def add_section(section: Section) -> Section:
    _sections.append(section)
    return section


def sign(manifest: bytes) -> str:
    return salted_hmac(_SALT, manifest, algorithm="sha256").hexdigest()


def json_bytes(data) -> bytes:
    """A case file's JSON: dates as ISO text, Chinese as written, indented to be read."""
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def _name(person, ticket: Ticket, for_customer: bool) -> str:
    if person is None:
        return "system"
    return name_for_customer(person, ticket) if for_customer else person.display_name


def _safe_name(index: int, name: str) -> str:
    # The stored display name is already sanitised; keep it readable and unique in the ZIP.
    return f"evidence/{index:02d}-{PurePosixPath(name).name or 'file'}"


def _votes(panel: Panel, user, staff_view: bool) -> list[dict]:
    """The votes `user` may read: all of them once the decision is published (customers see
    how the panel voted, not who), before that only their own (members vote unseen)."""
    votes = []
    for number, vote in enumerate(panel.votes.all(), start=1):
        if panel.state != Panel.State.DECIDED and vote.member_id != user.pk:
            continue
        votes.append(
            {
                "member": vote.member.display_name if staff_view else f"Member {number}",
                "decision": vote.decision,
                "rationale": vote.rationale,
                "remedy": vote.remedy,
                "at": vote.updated_at,
            }
        )
    return votes


def _case_data(ticket: Ticket, user) -> dict:
    staff_view = is_staff_member(user)
    panels = []
    for panel in Panel.objects.filter(ticket=ticket).prefetch_related("votes__member"):
        if not staff_view and panel.state == Panel.State.WAITING:
            continue  # the wait for independent members is internal (admins are alerted)
        # While its drafter writes it, the decision is the panel's own business: nobody
        # reads the draft, or which way the majority went, before it is published.
        published = panel.state == Panel.State.DECIDED
        panels.append(
            {
                "state": panel.state,
                "size": panel.size,
                "decision": panel.decision if published else "",
                "rationale": panel.rationale if published else "",
                "remedy": panel.remedy if published else "",
                "decided_at": panel.decided_at,
                "votes": _votes(panel, user, staff_view),
            }
        )
    resolutions = ticket.resolutions.select_related("asset")
    if not staff_view:
        # A proposal waiting for its second approval, or sent back, never reached the customer.
        resolutions = resolutions.exclude(state__in=STAFF_ONLY_PROPOSALS)
    return {
        "reference": ticket.reference,
        "customer": ticket.customer.email,
        "category": ticket.category.code,
        "subject": ticket.subject,
        "description": ticket.description,
        "channel": ticket.channel,
        "status": ticket.status,
        "tier": ticket.tier,
        "priority": ticket.priority,
        "filed_at": ticket.created_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        # The regulator's clock (tickets.regulator) and what the customer was told of it.
        "final_decision_due_at": ticket.final_decision_due_at,
        "final_decision_at": ticket.final_decision_at,
        "delay_notices": [
            {"sent_at": n.created_at, "reason": n.reason, "expected_by": n.expected_by}
            for n in ticket.delay_notices.all()
        ],
        "fields": {
            "occurred_at": ticket.occurred_at,
            "asset": ticket.asset.code if ticket.asset_id else None,
            "network": ticket.network.code if ticket.network_id else None,
            "amount": amount_text(ticket.amount, ticket.asset) or None,
            "order_id": ticket.order_id,
            "txid": ticket.txid,
            "wallet_address": ticket.wallet_address,
            "trading_pair": ticket.trading_pair,
            "device": ticket.device,
        },
        "deadlines": [
            {
                "tier": r.tier,
                "target": r.target,
                "outcome": r.outcome,
                "due_at": r.due_at,
                "at": r.at,
            }
            for r in SLARecord.objects.filter(ticket=ticket).exclude(outcome="warned")
        ],
        "proposals": [
            {
                "tier": r.tier,
                "kind": r.kind,
                "summary": r.summary,
                "amount": amount_text(r.amount, r.asset) or None,
                "asset": r.asset.code if r.asset_id else None,
                "state": r.state,
                "proposed_at": r.created_at,
                "answered_at": r.answered_at,
                "dispute_reason": r.dispute_reason,
            }
            for r in resolutions
        ],
        "appeals": [
            {
                "from_tier": a.from_tier,
                "to_tier": a.to_tier,
                "reason": a.reason,
                "filed_at": a.created_at,
            }
            for a in ticket.appeals.all()
        ],
        "committee": panels,
    }


def build(ticket: Ticket, user) -> tempfile.SpooledTemporaryFile:
    """Write the ZIP for what `user` may see of the case; returns a file positioned at 0."""
    messages = list(ticket_messages_for(user, ticket))
    events = list(ticket_events_for(user, ticket))
    attachments = list(ticket_attachments_for(user, ticket))
    case = _case_data(ticket, user)
    originals = list(
        MessageOriginal.objects.filter(ticket=ticket).filter(
            Q(message=None) | Q(message__in=[m.pk for m in messages])
        )
    )
    original_names = {
        o.pk: f"originals/{i:02d}-{o.sha256[:12]}.eml" for i, o in enumerate(originals, 1)
    }
    case["originals"] = [
        {
            "file": original_names[o.pk],
            "message": o.message_id,
            "size": o.size,
            "sha256": o.sha256,
            "received_at": o.created_at,
        }
        for o in originals
    ]
    evidence_names = {a.pk: _safe_name(i, a.original_name) for i, a in enumerate(attachments, 1)}
    case["evidence"] = [
        {
            "file": evidence_names[a.pk],
            "name": a.original_name,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            "received_size": a.received_size,
            "received_sha256": a.received_sha256,
            "uploaded_at": a.created_at,
        }
        for a in attachments
    ]
    for_customer = not is_staff_member(user)
    secret_votes = votes_secret(ticket)
    language = getattr(
        getattr(ticket.customer, "customer_profile", None), "preferred_language", "en"
    )
    with translation.override(language):
        # Customers see staff by the name they work under, never an email; staff read the
        # display names (a member's email stays off the file even for the panel).
        names = {e.pk: _name(e.actor, ticket, for_customer) for e in events}
        timeline = [
            {
                "at": e.created_at,
                "kind": e.kind,
                "by": names[e.pk],
                "from_status": e.from_status,
                "to_status": e.to_status,
                "from_tier": e.from_tier,
                "to_tier": e.to_tier,
                "data": event_data_for(user, e, secret_votes=secret_votes),
            }
            for e in events
        ]
        context = {
            "ticket": ticket,
            "case": case,
            "messages": [(m, _name(m.author, ticket, for_customer)) for m in messages],
            "events": [(e, names[e.pk]) for e in events],
        }
        conversation = render_to_string("escalation/case_file/conversation.html", context).encode()
        timeline_html = render_to_string("escalation/case_file/timeline.html", context).encode()

    contents: dict[str, bytes] = {
        "case.json": json_bytes(case),
        "conversation.html": conversation,
        "timeline.html": timeline_html,
        "timeline.json": json_bytes(timeline),
    }
    for section in _sections:
        added = section(ticket, user)
        if clash := contents.keys() & added.keys():
            raise ValueError(f"case file sections both write {sorted(clash)}")
        contents.update(added)
    # Returned open for streaming to the client, so no context manager here.
    output = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    hashes: dict[str, str] = {}
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
            hashes[name] = hashlib.sha256(data).hexdigest()
        stored = [(evidence_names[a.pk], a.file) for a in attachments]
        stored += [(original_names[o.pk], o.file) for o in originals]
        for name, stored_file in stored:
            digest = hashlib.sha256()
            with stored_file.open("rb") as source, archive.open(name, "w") as target:
                for chunk in iter(lambda: source.read(1024 * 1024), b""):
                    digest.update(chunk)
                    target.write(chunk)
            hashes[name] = digest.hexdigest()
        manifest = json_bytes(
            {
                "reference": ticket.reference,
                "generated_at": timezone.now(),
                "generator": settings.SITE_URL,
                "algorithm": "sha256",
                "files": dict(sorted(hashes.items())),
                # Each evidence file as the sender's own copy hashes, beside the stored copy
                # in this ZIP (images lose their location data when stored).
                "evidence": {
                    item["file"]: {
                        "stored_sha256": item["sha256"],
                        "received_sha256": item["received_sha256"],
                    }
                    for item in case["evidence"]
                },
            }
        )
        archive.writestr(MANIFEST, manifest)
        archive.writestr(SIGNATURE, sign(manifest) + "\n")
    output.seek(0)
    return output


@dataclass
class Verification:
    ok: bool
    problems: list[str]
    files: int
    signed: bool | None  # None: no signature in the file


def verify(path_or_file) -> Verification:
    """Every file matches the manifest, nothing is missing or added, evidence matches its record."""
    problems: list[str] = []
    with zipfile.ZipFile(path_or_file) as archive:
        names = set(archive.namelist())
        if MANIFEST not in names:
            return Verification(False, ["manifest.json is missing"], 0, None)
        manifest_bytes = archive.read(MANIFEST)
        manifest = json.loads(manifest_bytes)
        listed = manifest.get("files", {})
        for name, expected in listed.items():
            if name not in names:
                problems.append(f"{name}: listed in the manifest but missing")
                continue
            actual = hashlib.sha256(archive.read(name)).hexdigest()
            if not hmac.compare_digest(actual, expected):
                problems.append(
                    f"{name}: SHA-256 {actual} does not match the manifest's {expected}"
                )
        for name in sorted(names - set(listed) - {MANIFEST, SIGNATURE}):
            problems.append(f"{name}: not listed in the manifest")
        evidence = manifest.get("evidence", {})
        if "case.json" in names:
            case = json.loads(archive.read("case.json"))
            for item in [*case.get("evidence", []), *case.get("originals", [])]:
                if listed.get(item["file"]) not in (None, item["sha256"]):
                    problems.append(f"{item['file']}: differs from the hash recorded at upload")
                recorded = evidence.get(item["file"])
                if recorded is not None and recorded != {
                    "stored_sha256": item["sha256"],
                    "received_sha256": item.get("received_sha256", ""),
                }:
                    problems.append(f"{item['file']}: the manifest and case.json disagree")
        signed = None
        if SIGNATURE in names:
            signature = archive.read(SIGNATURE).decode().strip()
            signed = hmac.compare_digest(signature, sign(manifest_bytes))
            if not signed:
                problems.append(
                    "manifest.sig does not match: the manifest was changed or not made here"
                )
    return Verification(not problems, problems, len(listed), signed)


def download(ticket: Ticket, user) -> FileResponse:
    """The case file ZIP for what `user` may see of the case."""
    return web.private_download(
        build(ticket, user),
        filename=f"{ticket.reference}-case-file.zip",
        content_type="application/zip",
    )

"""The kinds of mail Redress sends, and which of them a person may turn off.

Customers may turn off the updates that only tell them about progress; what the rules
require them to get (the receipt with its reference, questions they must answer, a
proposal that counts as accepted when unanswered, a rejection and its appeal window, the
committee's decision, a delay notice) always goes. Staff may turn off any kind of theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    # Customers' mails about a case carry a reply address that names it.
    audience: str  # "customer" or "staff"
    required: bool = False


CUSTOMER, STAFF = "customer", "staff"

KINDS = {
    kind.code: kind
    for kind in (
        Kind("received", _("The receipt of a new case, with its reference"), CUSTOMER, True),
        Kind("info_request", _("Questions we need you to answer"), CUSTOMER, True),
        Kind("proposal", _("A proposed resolution to accept or dispute"), CUSTOMER, True),
        Kind("rejection", _("A rejected complaint and how to appeal"), CUSTOMER, True),
        Kind("appeal", _("The receipt of an appeal"), CUSTOMER, True),
        Kind("decision", _("The Dispute Committee's decision"), CUSTOMER, True),
        Kind("delay_notice", _("A notice that a decision takes longer"), CUSTOMER, True),
        # Answers to mail we could not take (a secret in it, a refused file, no account).
        Kind("mail_refused", _("Why a mail of yours could not be taken"), CUSTOMER, True),
        Kind("reply", _("Replies from our support team"), CUSTOMER),
        Kind("escalated", _("Your case moved up a tier"), CUSTOMER),
        Kind("panel", _("An independent panel took up your case"), CUSTOMER),
        Kind("resolved", _("Your case is resolved"), CUSTOMER),
        Kind("rating_request", _("A request to rate how we handled your case"), CUSTOMER),
        Kind("approval_waiting", _("A compensation waits for your approval"), STAFF),
        Kind("panel_seat", _("You were drawn onto a committee panel"), STAFF),
        Kind("customer_wrote", _("A customer replied or added evidence on your case"), STAFF),
        Kind("deadline_close", _("A case of yours is close to its deadline"), STAFF),
        Kind("last_tier_breach", _("A case missed a deadline at the last tier"), STAFF),
        Kind("panel_waiting", _("A case waits for independent committee members"), STAFF),
        Kind("decision_due", _("A case of yours is near its final-decision deadline"), STAFF),
        Kind("low_score", _("A customer of your team gave a low satisfaction score"), STAFF),
        Kind("summary", _("Weekly and monthly summaries of the reports"), STAFF),
    )
}


def choosable(audience: str) -> list[Kind]:
    """The kinds a person of this audience may turn on and off, in the order shown."""
    return [kind for kind in KINDS.values() if kind.audience == audience and not kind.required]

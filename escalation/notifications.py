"""Mails the sweeps cause: to customers whose case moved up, to staff about deadlines."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts import roles
from accounts.models import User
from accounts.teams import lead_emails
from tickets.models import Ticket
from tickets.notifications import send_to_customer


def _staff_link(ticket: Ticket) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("admin:tickets_ticket_change", args=[ticket.pk])


def escalated(ticket_ids: list[int]) -> None:
    tickets = Ticket.objects.filter(pk__in=ticket_ids).select_related(
        "customer__customer_profile", "category"
    )
    for ticket in tickets:
        send_to_customer(ticket, "escalated", {})


def _staff_mail(template: str, tickets, recipients_for) -> None:
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for ticket in tickets:
            recipients = recipients_for(ticket)
            if not recipients:
                continue
            context = {"ticket": ticket, "link": _staff_link(ticket)}
            subject = render_to_string(f"escalation/email/{template}_subject.txt", context).strip()
            body = render_to_string(f"escalation/email/{template}.txt", context)
            messages.append((subject, body, None, recipients))
    send_mass_mail(messages)


def _admins() -> list[str]:
    return list(
        User.objects.filter(Q(is_superuser=True) | Q(groups__name=roles.ADMIN), is_active=True)
        .values_list("email", flat=True)
        .distinct()
    )


def committee_breached(ticket_ids: list[int]) -> None:
    admins = _admins()
    tickets = Ticket.objects.filter(pk__in=ticket_ids)
    _staff_mail("committee_breached", tickets, lambda ticket: admins)


def _assignee_or_team(tickets):
    """Who works each case: its assignee, or if none, every member of its team."""
    teams: dict[int, list[str]] = {}

    def recipients(ticket: Ticket) -> list[str]:
        if ticket.assignee_id:
            return [ticket.assignee.email]
        if ticket.team_id not in teams:
            teams[ticket.team_id] = (
                list(ticket.team.members.filter(is_active=True).values_list("email", flat=True))
                if ticket.team_id
                else []
            )
        return teams[ticket.team_id]

    return recipients


def deadline_close(ticket_ids: list[int]) -> None:
    """The assignee, or if none, every member of the ticket's team."""
    tickets = Ticket.objects.filter(pk__in=ticket_ids).select_related("assignee", "team")
    _staff_mail("deadline_close", tickets, _assignee_or_team(tickets))


def decision_due(ticket_ids: list[int]) -> None:
    """The final decision is due soon: whoever works the case, and the team's leads."""
    tickets = list(Ticket.objects.filter(pk__in=ticket_ids).select_related("assignee", "team"))
    workers = _assignee_or_team(tickets)
    leads = lead_emails(ticket.team_id for ticket in tickets)

    def recipients(ticket: Ticket) -> list[str]:
        return list(dict.fromkeys([*workers(ticket), *leads.get(ticket.team_id, [])]))

    _staff_mail("decision_due", tickets, recipients)


def no_independent_panel(ticket_ids: list[int]) -> None:
    """Too few committee members who never handled the case: admins must add some."""
    admins = _admins()
    tickets = Ticket.objects.filter(pk__in=ticket_ids)
    _staff_mail("no_independent_panel", tickets, lambda ticket: admins)

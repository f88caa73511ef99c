"""Demo data for the reports (idempotent): a team lead, a rated resolution, a delay notice,
and roll-ups built from every demo case. Runs after seed_demo."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Team, User
from escalation import services as lifecycle
from reports import rollup, services
from tickets import services as tickets
from tickets.models import Category, DelayNotice, Ticket

RESOLVED_SUBJECT = "Fee on my USDT withdrawal was higher than shown"
STUCK_SUBJECT = "KYC review stuck for two weeks"


class Command(BaseCommand):
    help = "Demo data for the reports: agent@example.com leads its teams; a rated case; roll-ups."

    def handle(self, *args, **options):
        try:
            customer = User.objects.get(email="customer@example.com")
            agent = User.objects.get(email="agent@example.com")
        except User.DoesNotExist as error:
            raise CommandError("Run seed_demo first.") from error
        # The demo agent leads the teams it works in: it sees their reports and alerts.
        for team in Team.objects.filter(members=agent):
            team.leads.add(agent)
        services.ratings_invite()  # from now on, resolutions are asked for a rating
        if not Ticket.objects.filter(customer=customer, subject=RESOLVED_SUBJECT).exists():
            self._resolved_and_rated(customer, agent)
        stuck = Ticket.objects.filter(customer=customer, subject=STUCK_SUBJECT).first()
        if stuck and not DelayNotice.objects.filter(ticket=stuck).exists():
            tickets.ticket_record_delay_notice(
                ticket=stuck,
                actor=agent,
                reason="Our verification provider is re-checking your documents by hand; "
                "they have asked for two more weeks.",
                expected_by=timezone.localdate(stuck.final_decision_due_at) + timedelta(days=14),
            )
        result = rollup.rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"Reports are ready: {result.cases} cases counted; agent@example.com leads "
                f"{', '.join(Team.objects.filter(leads=agent).values_list('name', flat=True))}."
            )
        )

    @transaction.atomic
    def _resolved_and_rated(self, customer: User, agent: User) -> None:
        ticket = tickets.ticket_file(
            customer=customer,
            filed_by=customer,
            category=Category.objects.get(code="fees"),
            subject=RESOLVED_SUBJECT,
            description="The withdrawal page showed a 1 USDT fee; I was charged 5 USDT.",
            fields={"occurred_at": "2026-11-16 14:05", "asset": "USDT", "amount": "5"},
        )
        tickets.ticket_claim(ticket=ticket, actor=agent)
        tickets.ticket_propose_resolution(
            ticket=ticket,
            actor=agent,
            kind="compensation",
            summary="The fee shown was out of date: we refund the 4 USDT difference.",
            amount="4",
            asset="USDT",
        )
        lifecycle.resolution_accept(ticket=ticket, actor=customer)
        services.ratings_invite()
        services.rating_submit(
            rating=ticket.ratings.get(),
            customer=customer,
            outcome_score=5,
            service_score=4,
            comment="Quick and clear, thank you.",
        )

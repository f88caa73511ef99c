"""Tickets and everything attached to them: messages, evidence and the audit trail."""

import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from evidence.chains import ChainFamily
from evidence.fields import EvidenceField

# A case's tier and priority scope its SLA policy, so they are defined with the policies.
from sla.models import Priority, Tier


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING_CUSTOMER = "pending_customer", _("Waiting for you")
    RESOLUTION_PROPOSED = "resolution_proposed", _("Resolution proposed")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")


# The desk owes the customer in these, so the SLA clock runs (sla.clock asks desk_owes_reply).
CLOCK_RUNNING = (Status.NEW, Status.OPEN)

# A ticket in one of these still needs the desk: duplicates are looked for among them.
OPEN_STATUSES = (
    Status.NEW,
    Status.OPEN,
    Status.PENDING_CUSTOMER,
    Status.RESOLUTION_PROPOSED,
)


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    SOCIAL = "social", _("Social media")
    CHAT = "chat", _("Live chat")


def _bilingual(obj, field: str) -> str:
    """The Chinese text when the page is in Chinese and one was written, else English."""
    if (get_language() or "").startswith("zh"):
        return getattr(obj, f"{field}_zh") or getattr(obj, f"{field}_en")
    return getattr(obj, f"{field}_en")


class Asset(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    decimals = models.PositiveSmallIntegerField(
        _("decimal places"),
        default=8,
        validators=[MaxValueValidator(18)],  # amounts are stored with 18
        help_text=_(
            "Digits after the point (BTC 8, USDT 6, ETH 18). Amounts in this asset are "
            "written with at most these, and more are refused."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")

    def __str__(self) -> str:
        return self.code


class AssetPriceQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Reference prices are kept as history: add a new one.")

    def delete(self):
        raise TypeError("Reference prices are kept as history: add a new one.")


class AssetPrice(models.Model):
    """An asset's reference price as an admin set it: one row per change, never edited.

    Compensation is valued in the reference currency (REDRESS_REFERENCE_CURRENCY) with the
    price in force when it is proposed, and needs a second person's approval above
    REDRESS_APPROVAL_LIMIT; an asset with no price always does (tickets.services).
    PostgreSQL refuses UPDATE and DELETE on this table too (migration 0013).
    """

    asset = models.ForeignKey(
        Asset,
        db_index=False,  # asset_price_in_force (Meta) leads with the asset
        on_delete=models.PROTECT,
        related_name="prices",
        verbose_name=_("asset"),
    )
    currency = models.CharField(_("reference currency"), max_length=10)
    price = models.DecimalField(
        _("price of one unit"),
        max_digits=38,
        decimal_places=18,
        help_text=_("What one unit of the asset is worth in the reference currency."),
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("set by"),
    )
    # In force from this moment until the next row for the asset and currency.
    set_at = models.DateTimeField(_("in force from"), default=timezone.now)

    objects = AssetPriceQuerySet.as_manager()

    class Meta:
        ordering = ["-set_at", "-id"]
        indexes = [
            models.Index(
                fields=["asset", "currency", "-set_at", "-id"], name="asset_price_in_force"
            )
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="asset_price_positive")
        ]
        verbose_name = _("reference price")
        verbose_name_plural = _("reference prices")

    def __str__(self) -> str:
        return f"{self.asset_id} {self.price} {self.currency} ({self.set_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Reference prices are kept as history: add a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Reference prices are kept as history: add a new one.")


class Network(models.Model):
    """A chain an asset moves on; its family decides how TxIDs and addresses look."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    family = models.CharField(_("format family"), max_length=20, choices=ChainFamily.choices)
    assets = models.ManyToManyField(Asset, related_name="networks", blank=True)
    explorer_tx_url = models.CharField(
        _("explorer link for a transaction"),
        max_length=200,
        blank=True,
        help_text=_("With {txid} where the hash goes."),
    )
    explorer_address_url = models.CharField(
        _("explorer link for an address"),
        max_length=200,
        blank=True,
        help_text=_("With {address} where the address goes."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("network")
        verbose_name_plural = _("networks")

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    required_fields = models.JSONField(
        _("required evidence fields"),
        default=list,
        blank=True,
        help_text=_("Field names the customer must fill in."),
    )
    optional_fields = models.JSONField(
        _("optional evidence fields"),
        default=list,
        blank=True,
        help_text=_("Field names offered but not required."),
    )
    default_priority = models.CharField(
        _("default priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="categories",
        verbose_name=_("handling team"),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    # The regulator's clock (tickets/regulator.py): the default comes from the settings.
    final_decision_days = models.PositiveSmallIntegerField(
        _("final decision within (days)"),
        null=True,
        blank=True,
        help_text=_("Leave empty for the default (REDRESS_FINAL_DECISION_DAYS, two months)."),
    )
    final_decision_pauses = models.BooleanField(
        _("waiting on the customer extends the final-decision deadline"),
        default=False,
        help_text=_(
            "When ticked, the time between a request for information and the customer's "
            "answer is added to the deadline."
        ),
    )

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _bilingual(self, "name")

    @property
    def description(self) -> str:
        return _bilingual(self, "description")

    @property
    def evidence_fields(self) -> list[str]:
        """Required then optional fields, in the order the form shows them."""
        shown = [*self.required_fields, *self.optional_fields]
        return [f for f in EvidenceField.values if f in shown]

    def clean(self) -> None:
        known = set(EvidenceField.values)
        unknown = [f for f in [*self.required_fields, *self.optional_fields] if f not in known]
        if unknown:
            raise ValidationError(
                _("Unknown evidence fields: %(fields)s. Known: %(known)s.")
                % {"fields": ", ".join(map(str, unknown)), "known": ", ".join(sorted(known))}
            )
        both = set(self.required_fields) & set(self.optional_fields)
        if both:
            raise ValidationError(
                _("A field cannot be both required and optional: %(fields)s.")
                % {"fields": ", ".join(sorted(both))}
            )


class Ticket(models.Model):
    # Unique by a constraint (Meta), not `unique=True`: that would add a second, LIKE-ready
    # index that nothing searches with, rewritten by every escalation all the same.
    reference = models.CharField(_("reference"), max_length=16, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_index=False,  # ticket_customer_recent (Meta) leads with the customer
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("customer"),
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_index=False,  # never looked up by; an index would only slow each escalation
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("filed by"),
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    category = models.ForeignKey(
        Category,
        # Queues filter by category only beside an open-status index; deleting a category
        # (protected, rare) may scan instead of every escalation rewriting one more index.
        db_index=False,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("category"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.NEW
    )
    tier = models.CharField(_("tier"), max_length=24, choices=Tier.choices, default=Tier.SUPPORT)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    team = models.ForeignKey(
        "accounts.Team",
        db_index=False,  # queue_unassigned_by_due (Meta) leads with the team
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("team"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # queue_assignee_by_due (Meta) serves agents' open cases; removing a user (rare:
        # staff are deactivated) may scan instead of every escalation rewriting an index.
        db_index=False,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )

    # Structured evidence (DESIGN.md): which ones are required depends on the category.
    occurred_at = models.DateTimeField(_("when it happened"), null=True, blank=True)
    asset = models.ForeignKey(
        Asset,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("asset"),
        db_index=False,  # never looked up by; an index would only slow each escalation
    )
    network = models.ForeignKey(
        Network,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("network"),
        db_index=False,  # never looked up by; an index would only slow each escalation
    )
    amount = models.DecimalField(
        _("amount"), max_digits=38, decimal_places=18, null=True, blank=True
    )
    order_id = models.CharField(_("order ID"), max_length=64, blank=True)
    txid = models.CharField(_("transaction hash (TxID)"), max_length=128, blank=True)
    wallet_address = models.CharField(_("wallet address"), max_length=128, blank=True)
    trading_pair = models.CharField(_("trading pair"), max_length=32, blank=True)
    device = models.CharField(_("device and browser or app"), max_length=200, blank=True)

    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # The SLA clock. The sweeps and queues scan `escalation_due_at` (the earliest of these
    # that still runs), so these three need no index of their own: every index on this table
    # is rewritten by each escalation.
    first_response_due_at = models.DateTimeField(_("first reply due"), null=True, blank=True)
    next_response_due_at = models.DateTimeField(_("next reply due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        # The workbench lists a case's absorbed duplicates: a partial index (Meta) serves
        # that without an entry for the millions of cases never merged.
        db_index=False,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged",
        verbose_name=_("merged into"),
    )
    first_responded_at = models.DateTimeField(_("first replied at"), null=True, blank=True)
    # The clock of the current tier (sla/clock.py keeps these consistent).
    sla_policy = models.ForeignKey(
        "sla.SLAPolicy",
        db_index=False,  # never looked up by; an index would only slow each escalation
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("SLA policy"),
    )
    sla_started_at = models.DateTimeField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(_("clock paused at"), null=True, blank=True)
    next_response_started_at = models.DateTimeField(null=True, blank=True)
    # The earliest running deadline and the earliest pending warning: what the sweeps scan.
    escalation_due_at = models.DateTimeField(null=True, blank=True)
    sla_warning_at = models.DateTimeField(null=True, blank=True)
    sla_warned = models.JSONField(default=list, blank=True)
    sla_breached = models.JSONField(default=list, blank=True)
    # When a deadline was last missed: the "breached" queue and reports read it.
    last_breach_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # The next automatic lifecycle step: an unanswered proposal counts as accepted, a
    # resolved or rejected case closes when its appeal window ends. The sweep scans it.
    lifecycle_due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The regulator's clock (tickets/regulator.py), beside the SLA: the final decision is
    # due two months after filing; a final outcome stops it. The sweep warns once at
    # `final_decision_warning_at`, scanning a partial index of the cases still to warn.
    final_decision_due_at = models.DateTimeField(_("final decision due"), null=True, blank=True)
    final_decision_warning_at = models.DateTimeField(null=True, blank=True)
    final_decision_at = models.DateTimeField(_("final decision at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["customer", "-created_at", "-id"], name="ticket_customer_recent"),
            # Duplicate detection looks up open tickets by the customer's TxID or order ID.
            models.Index(
                fields=["customer", "txid"], name="ticket_customer_txid", condition=~Q(txid="")
            ),
            models.Index(
                fields=["customer", "order_id"],
                name="ticket_customer_order",
                condition=~Q(order_id=""),
            ),
            # The warning sweep: a range scan over only the tickets with a warning pending.
            models.Index(
                fields=["sla_warning_at"],
                name="ticket_sla_warning",
                condition=Q(sla_warning_at__isnull=False),
            ),
            # The escalation sweep, the same way: only the cases whose clock runs, in deadline
            # order. Its query has no status condition, so no queue index can serve it and the
            # planner's row estimate comes from this column alone (escalation/sweep.py).
            models.Index(
                fields=["escalation_due_at", "id"],
                name="ticket_escalation_due",
                condition=Q(escalation_due_at__isnull=False),
            ),
            # The agent queue: each view is a range scan in deadline order over open cases.
            models.Index(
                fields=["escalation_due_at", "id"],
                name="queue_open_by_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["status", "escalation_due_at", "id"],
                name="queue_status_by_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["assignee", "escalation_due_at", "id"],
                name="queue_assignee_by_due",
                # Without the unassigned: a case escalated to a new tier adds no entry here.
                condition=Q(status__in=OPEN_STATUSES, assignee__isnull=False),
            ),
            models.Index(
                fields=["team", "escalation_due_at", "id"],
                name="queue_unassigned_by_due",
                condition=Q(status__in=OPEN_STATUSES, assignee__isnull=True),
            ),
            models.Index(
                fields=["tier", "escalation_due_at", "id"],
                name="queue_tier_by_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["merged_into"],
                name="ticket_merged_into",
                condition=Q(merged_into__isnull=False),
            ),
            models.Index(
                fields=["lifecycle_due_at"],
                name="ticket_lifecycle_due",
                condition=Q(lifecycle_due_at__isnull=False),
            ),
            # The queue's "Breached" view in its deadline order: only the breached open
            # cases (the tier index walked every open case of the tier to find none).
            models.Index(
                fields=["escalation_due_at", "id"],
                name="queue_breached_by_due",
                condition=Q(status__in=OPEN_STATUSES, last_breach_at__isnull=False),
            ),
            models.Index(
                fields=["final_decision_warning_at"],
                name="ticket_decision_warning",
                condition=Q(final_decision_warning_at__isnull=False),
            ),
            # The queue's "Past the final-decision deadline" view, longest overdue first:
            # walked in its order, it stops at the page's rows whether a handful of cases or
            # thousands are past the deadline. (Ordered by the SLA deadline instead, the view
            # read every open case of the tier to find the few past it.)
            models.Index(
                fields=["final_decision_due_at", "id"],
                name="queue_past_decision",
                condition=Q(status__in=OPEN_STATUSES, final_decision_at__isnull=True),
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["reference"], name="ticket_reference")]

    def __str__(self) -> str:
        return f"{self.reference}: {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_read_only(self) -> bool:
        return self.status == Status.CLOSED

    @property
    def desk_owes_reply(self) -> bool:
        """The SLA clock runs: in the other statuses the customer owes an answer or it is over."""
        return self.status in CLOCK_RUNNING

    @property
    def past_final_decision(self) -> bool:
        """No final decision yet, and the regulator's deadline has passed."""
        due = self.final_decision_due_at
        return self.final_decision_at is None and due is not None and due <= timezone.now()


class TicketSearch(models.Model):
    """A ticket's words for staff search (tickets/search.py says what they are).

    Kept beside the ticket, not in it: every change to a ticket row (an escalation, an
    assignment) writes a new row version into each of the table's indexes, and a GIN
    index is the costliest of them. Here the words change only when the words do, and
    `is_open` when a status change crosses between open and done (a trigger, migration
    0013). PostgreSQL only, GIN-indexed; SQLite, the demo's database, searches the
    ticket's own text with LIKE instead.
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    vector = SearchVectorField()
    is_open = models.BooleanField(default=True, db_default=True)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")

    def __str__(self) -> str:
        return str(self.ticket_id)


class TicketTerm(models.Model):
    """One word of an open case's search document: the inverted index the queue searches.

    A GIN index answers "which documents hold this word" with row pointers that must each
    be read from the table to find the ticket; for a word in thousands of open cases that
    read is the whole cost. Here (lexeme, ticket) is the primary key itself, so the ticket
    ids come from an index-only scan. PostgreSQL only; a trigger on TicketSearch keeps the
    rows (migration 0014), for open cases only.
    """

    pk = models.CompositePrimaryKey("lexeme", "ticket")
    lexeme = models.TextField()  # in the "C" collation on PostgreSQL (migration 0014)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return self.lexeme


class ResolutionKind(models.TextChoices):
    """How exchanges settle complaints (DESIGN.md)."""

    EXPLANATION = "explanation", _("Explanation")
    COMPENSATION = "compensation", _("Compensation")
    ACCOUNT_RECOVERY = "account_recovery", _("Account recovery")
    ACCOUNT_UNFREEZE = "account_unfreeze", _("Account unfreeze")
    TECHNICAL_FIX = "technical_fix", _("Technical fix")
    MEDIATION = "mediation", _("Mediation")
    REJECTION = "rejection", _("Rejection")


class Resolution(models.Model):
    """An outcome the desk proposes; the customer accepts it or disputes it."""

    class State(models.TextChoices):
        # Compensation above the asset's limit waits for a second person's approval.
        PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
        # The second person returned it to its author, with a reason; it never went out.
        SENT_BACK = "sent_back", _("Sent back")
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        DISPUTED = "disputed", _("Disputed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="resolutions")
    tier = models.CharField(_("tier"), max_length=24, choices=Tier.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=ResolutionKind.choices)
    summary = models.TextField(_("summary"))
    amount = models.DecimalField(
        _("amount"), max_digits=38, decimal_places=18, null=True, blank=True
    )
    asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("asset")
    )
    # Compensation's worth in the reference currency with the price in force when proposed
    # (None: the asset had no price, so it needed approval whatever the amount).
    reference_price = models.ForeignKey(
        AssetPrice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference_value = models.DecimalField(
        _("value in the reference currency"),
        max_digits=38,
        decimal_places=18,
        null=True,
        blank=True,
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One live proposal at a time: a new one replaces the last, never sits beside it.
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(state__in=["proposed", "pending_approval"]),
                name="resolution_one_open_proposal",
            )
        ]
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


# Proposals the customer never saw: waiting for the second person, or sent back by them.
STAFF_ONLY_PROPOSALS = (Resolution.State.PENDING_APPROVAL, Resolution.State.SENT_BACK)


class DelayNotice(models.Model):
    """The desk cannot decide by the final-decision deadline: why, and when to expect it.

    Sent to the customer in their language, shown on the case page and in the case file.
    Like evidence, a notice is added, never changed.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="delay_notices")
    reason = models.TextField(_("reason"))
    expected_by = models.DateField(_("decision expected by"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="delaynotice_ticket_time")]
        verbose_name = _("delay notice")
        verbose_name_plural = _("delay notices")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.expected_by}"


class CannedReply(models.Model):
    """A prepared answer; placeholders are filled per case when an agent inserts it."""

    title = models.CharField(_("title"), max_length=100, unique=True)
    body_en = models.TextField(
        _("text (English)"),
        help_text=_("Placeholders: {customer_name}, {reference}, {due}."),
    )
    body_zh = models.TextField(_("text (Chinese)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("message"))
    # Internal notes are for staff only and must never reach a customer.
    internal = models.BooleanField(_("internal note"), default=False)
    from_staff = models.BooleanField(_("from staff"), default=False)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_time")]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.ticket.reference} #{self.pk}"


class _EvidenceStorage(LazyObject):
    """Private storage, resolved lazily so tests can point EVIDENCE_ROOT elsewhere."""

    def _setup(self):
        self._wrapped = FileSystemStorage(location=settings.EVIDENCE_ROOT, base_url=None)


evidence_storage = _EvidenceStorage()


def _evidence_storage():
    return evidence_storage


class Attachment(models.Model):
    """One evidence file: immutable once stored; added, never edited or removed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="attachments")
    message = models.ForeignKey(
        Message, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), storage=_evidence_storage, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=60)
    # The stored copy: images are re-encoded to strip location data, so it differs from
    # what was sent. The bytes as received are hashed while they are read, before any of
    # that, so a customer can match their own file (`sha256sum`). Blank for files stored
    # before the received hash was kept (PDFs, stored byte for byte, were filled in).
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256 of the stored copy"), max_length=64)
    received_size = models.PositiveBigIntegerField(_("size as received"), null=True, blank=True)
    received_sha256 = models.CharField(_("SHA-256 as received"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="attachment_ticket_time")]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class MessageOriginal(models.Model):
    """A message as it arrived by mail, byte for byte, kept for the case file.

    Written by the mail room's inbound pipeline through the ticket services; the case
    file (escalation) lists each with its SHA-256 beside the conversation.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="originals")
    message = models.OneToOneField(
        Message,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="original",
        verbose_name=_("message"),
    )
    file = models.FileField(_("file"), storage=_evidence_storage, max_length=200)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="original_ticket_time")]
        verbose_name = _("original message")
        verbose_name_plural = _("original messages")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.sha256[:12]}"


class EventKind(models.TextChoices):
    FILED = "filed", _("Ticket filed")
    MESSAGE = "message", _("Message added")
    NOTE = "note", _("Internal note added")
    EVIDENCE = "evidence", _("Evidence added")
    STATUS = "status", _("Status changed")
    TIER = "tier", _("Tier changed")
    ASSIGNED = "assigned", _("Assigned")
    PRIORITY = "priority", _("Priority changed")
    CATEGORY = "category", _("Category changed")
    SLA = "sla", _("Deadline missed")
    RESOLUTION = "resolution", _("Resolution proposed")
    APPROVAL = "approval", _("Compensation approved")
    SENT_BACK = "sent_back", _("Compensation sent back")
    ANSWER = "answer", _("Customer answered the proposal")
    APPEAL = "appeal", _("Appeal filed")
    PANEL = "panel", _("Panel drawn")
    VOTE = "vote", _("Vote cast")
    DECISION = "decision", _("Decision published")
    MERGED = "merged", _("Merged")
    # A supervisor opened a case outside their teams and tiers (tickets.selectors).
    ACCESS = "access", _("Opened outside scope")
    LINKED = "linked", _("Linked to another case")
    DELAY_NOTICE = "delay_notice", _("Delay notice sent")
    DECISION_WARNING = "decision_warning", _("Final-decision deadline near")
    # The customer rated (or re-rated) a resolution: reports records the scores.
    RATED = "rated", _("Rating given")


class TicketEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Ticket events are append-only.")

    def delete(self):
        raise TypeError("Ticket events are append-only.")


class TicketEvent(models.Model):
    """The audit trail: one row per thing that happened, never changed or removed.

    PostgreSQL enforces this with a trigger too (migration 0002), so not even raw SQL
    from the application can rewrite history.
    """

    # event_ticket_time (Meta) leads with the ticket: no index of its own.
    ticket = models.ForeignKey(
        Ticket, db_index=False, on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # A partial index (Meta) without the sweeps' many actorless events.
        db_index=False,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    kind = models.CharField(_("what"), max_length=20, choices=EventKind.choices)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    from_tier = models.CharField(max_length=24, blank=True)
    to_tier = models.CharField(max_length=24, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Events for customers' eyes and events only staff see (internal notes).
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket_time"),
            models.Index(fields=["actor"], name="event_actor", condition=Q(actor__isnull=False)),
            # The reports' fold reads the events recorded since it last ran (append-only:
            # each event adds one entry, and no update ever rewrites one).
            models.Index(fields=["created_at"], name="event_time"),
        ]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Ticket events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Ticket events are append-only.")

    @staticmethod
    def _label(choices, value: str) -> str:
        return str(choices(value).label) if value in choices.values else value

    @property
    def from_status_label(self) -> str:
        return self._label(Status, self.from_status)

    @property
    def to_status_label(self) -> str:
        return self._label(Status, self.to_status)

    @property
    def from_tier_label(self) -> str:
        return self._label(Tier, self.from_tier)

    @property
    def to_tier_label(self) -> str:
        return self._label(Tier, self.to_tier)


class IdempotencyKey(models.Model):
    """An API client's retry key: the same key returns the first ticket, never a second."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"

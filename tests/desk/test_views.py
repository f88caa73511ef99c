"""The agent queue, the case workbench and filing for a customer, through Django's test client."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import CustomerProfile
from desk.assignees import STAFF_MEMBERS_TTL
from tests.factories import (
    AgentFactory,
    CustomerFactory,
    UserFactory,
    category,
    login_verified,
    pdf_upload,
    png_upload,
    set_price,
)
from tickets import services
from tickets.models import (
    CannedReply,
    EventKind,
    Message,
    Resolution,
    Status,
    Ticket,
    TicketEvent,
    Tier,
)

pytestmark = pytest.mark.django_db

TRON_TXID = "c4b5fb0e1cf1b0a5b8f2a1e0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0"
HTMX = {"HTTP_HX_REQUEST": "true"}


def filed(customer=None, code="other", subject="Help", files=(), **fields) -> Ticket:
    customer = customer or CustomerFactory()
    return services.ticket_file(
        customer=customer,
        filed_by=customer,
        category=category(code),
        subject=subject,
        description="Something went wrong.",
        fields=fields,
        files=files,
    )


@pytest.fixture
def agent(client):
    user = AgentFactory(full_name="Alex Agent")
    login_verified(client, user)
    return user


@pytest.fixture
def ticket():
    return filed(subject="USDT withdrawal never arrived")


def url(name, ticket=None):
    return reverse(f"staff:{name}", args=[ticket.reference] if ticket else [])


def html(response) -> str:
    return response.content.decode()


# Access


STAFF_GETS = ["queue", "file", "category_fields"]
STAFF_TICKET_GETS = ["ticket", "presence", "canned"]
STAFF_POSTS = ["bulk"]
STAFF_TICKET_POSTS = [
    "claim",
    "assign",
    "reply",
    "note",
    "request_info",
    "reject",
    "propose",
    "escalate",
    "priority",
    "category",
    "merge",
]


def every_staff_url(ticket, attachment_id):
    urls = [("get", url(name)) for name in STAFF_GETS]
    urls += [("get", url(name, ticket)) for name in STAFF_TICKET_GETS]
    urls += [("post", url(name)) for name in STAFF_POSTS]
    urls += [("post", url(name, ticket)) for name in STAFF_TICKET_POSTS]
    urls.append(("get", reverse("staff:attachment_preview", args=[attachment_id])))
    return urls


def test_customers_get_404_on_every_staff_url(client):
    ticket = filed(files=[png_upload()])
    client.force_login(ticket.customer)
    attachment = ticket.attachments.get()
    for method, address in every_staff_url(ticket, attachment.id):
        response = getattr(client, method)(address, {"reason": "x", "body": "x"})
        assert response.status_code == 404, address
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.assignee is None


def test_signed_out_visitors_are_sent_to_sign_in(client, ticket):
    response = client.get(url("ticket", ticket))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_without_the_second_factor_are_sent_to_the_code_step(client, ticket):
    client.force_login(AgentFactory())
    response = client.get(url("queue"))
    assert response.status_code == 302 and reverse("accounts:otp") in response["Location"]


def test_the_queue_link_is_shown_to_staff_only(client, agent):
    assert 'id="nav-queue"' in html(client.get(url("queue")))
    customer = CustomerFactory()
    client.force_login(customer)
    assert 'id="nav-queue"' not in html(client.get(reverse("tickets:my_tickets")))


# The queue


def test_queue_lists_open_cases_nearest_deadline_first_with_a_countdown(client, agent):
    later, sooner = filed(subject="Later"), filed(subject="Sooner")
    now = timezone.now()
    Ticket.objects.filter(pk=later.pk).update(escalation_due_at=now + timedelta(hours=30))
    Ticket.objects.filter(pk=sooner.pk).update(
        escalation_due_at=now + timedelta(hours=3, minutes=12, seconds=30)
    )
    overdue = filed(subject="Overdue")
    Ticket.objects.filter(pk=overdue.pk).update(
        escalation_due_at=now - timedelta(minutes=25, seconds=30), last_breach_at=now
    )
    page = html(client.get(url("queue"), {"view": "all"}))
    assert page.index("Overdue") < page.index("Sooner") < page.index("Later")
    assert "overdue 25 min" in page and "sla-overdue" in page
    assert "in 3 h 12 min" in page and "sla-soon" in page
    assert "in 1 d 5 h" in page and "sla-ok" in page
    assert "breach-flag" in page


def test_queue_rows_are_worded_in_the_language_of_each_request(client, agent):
    ticket = filed(subject="Frozen")
    Ticket.objects.filter(pk=ticket.pk).update(
        priority="high",
        escalation_due_at=timezone.now() - timedelta(minutes=25, seconds=30),
        last_breach_at=timezone.now(),
    )
    client.cookies["django_language"] = "zh-hans"
    chinese = html(client.get(url("queue"), {"view": "all"}))
    client.cookies["django_language"] = "en"
    english = html(client.get(url("queue"), {"view": "all"}))
    for page, words in (
        (chinese, [f'aria-label="选择 {ticket.reference}"', ">新建<", ">高<", "已超时 25 分钟"]),
        (english, [f'aria-label="Select {ticket.reference}"', ">New<", ">High<", "overdue 25 min"]),
    ):
        for word in words:
            assert word in page
    assert " UTC 超时" in chinese and 'title="Deadline missed ' in english


def test_a_new_staff_member_is_suggested_within_seconds(client, agent):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert "Alex Agent" in html(client.get(url("queue")))
        newcomer = AgentFactory(full_name="Nina Newcomer")
        traveller.shift(timedelta(seconds=STAFF_MEMBERS_TTL + 1))
        page = html(client.get(url("queue")))
    assert f'<option value="{newcomer.email}">Nina Newcomer</option>' in page


def test_a_paused_clock_shows_paused(client, agent, ticket):
    services.ticket_request_info(ticket=ticket, actor=agent, body="Which network?")
    row = html(client.get(url("queue"), {"view": "waiting"}))
    assert ticket.reference in row and ">paused<" in row


def test_tabs_show_every_views_count(client, agent):
    mine = filed()
    services.ticket_claim(ticket=mine, actor=agent)
    filed()
    page = html(client.get(url("queue")))
    assert 'data-count="mine">1<' in page
    assert 'data-count="support">2<' in page
    for view in ("unassigned", "breaching_soon", "breached", "waiting", "appeal_center"):
        assert f'data-count="{view}"' in page


def test_filters_live_in_the_query_string(client, agent):
    urgent = filed(
        code="compromised-account", subject="Account stolen", occurred_at="2026-01-18T10:18"
    )
    normal = filed(subject="Fee question", order_id="1734592210038")
    page = html(client.get(url("queue"), {"view": "all", "priority": "urgent"}))
    assert urgent.reference in page and normal.reference not in page
    assert '<option value="urgent" selected>' in page
    page = html(client.get(url("queue"), {"view": "all", "q": "1734592210038"}))
    assert normal.reference in page and urgent.reference not in page
    both = html(client.get(url("queue") + "?view=all&priority=urgent&priority=normal"))
    assert urgent.reference in both and normal.reference in both
    services.ticket_claim(ticket=normal, actor=agent)
    page = html(client.get(url("queue"), {"view": "all", "assignee": "none"}))
    assert urgent.reference in page and normal.reference not in page
    page = html(client.get(url("queue"), {"view": "all", "assignee": agent.email}))
    assert normal.reference in page and urgent.reference not in page
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    page = html(client.get(url("queue"), {"view": "all", "created_from": tomorrow}))
    assert urgent.reference not in page and "No open cases match." in page


@pytest.mark.postgres
def test_search_finds_references_words_and_the_conversation(client, agent):
    # Each service keeps the ticket's search document (its own table) up to date.
    lost = filed(subject="Deposit never arrived")
    other = filed(subject="Fee question")
    services.ticket_add_message(ticket=other, author=agent, body="Refunded the kumquat fee.")

    def found(text):
        page = html(client.get(url("queue"), {"view": "all", "q": text}))
        return {t.reference for t in (lost, other) if t.reference in page}

    assert found(lost.reference.lower()) == {lost.reference}
    assert found("deposit") == {lost.reference}
    assert found("kumquat") == {other.reference}
    assert found("wrong") == {lost.reference, other.reference}
    assert found("nothing-like-this") == set()


def test_the_htmx_refresh_returns_only_rows_counts_and_pager(client, agent, ticket):
    response = client.get(url("queue"), {"view": "all"}, **HTMX)
    fragment = html(response)
    assert fragment.lstrip().startswith('<tbody id="queue-rows">')
    assert ticket.reference in fragment
    assert 'id="queue-tabs" hx-swap-oob="true"' in fragment
    assert 'id="queue-pager" hx-swap-oob="true"' in fragment
    assert "<html" not in fragment and 'id="queue-filters"' not in fragment
    page = html(client.get(url("queue"), {"view": "all", "priority": "high"}))
    # The page polls its own URL, so a refresh keeps the filters.
    assert 'hx-get="/staff/?view=all&amp;priority=high"' in page
    assert 'hx-trigger="every 30s"' in page and "show:none" in page


def test_keyset_pages_carry_the_cursor(client, agent):
    customer = CustomerFactory()
    tickets = [filed(customer=customer) for _ in range(52)]
    first = client.get(url("queue"), {"view": "all"})
    assert first.context["next_page_url"]
    second = client.get(first.context["next_page_url"])
    assert "view=all" in first.context["next_page_url"]
    shown = {row["reference"] for row in first.context["rows"]} | {
        row["reference"] for row in second.context["rows"]
    }
    assert shown == {t.reference for t in tickets}
    assert len(second.context["rows"]) == 2 and not second.context["next_page_url"]


def _queue_queries(client) -> int:
    cache.clear()  # the worst case: the view counts are not cached yet
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("queue"), {"view": "all"})
    assert response.status_code == 200
    return len(queries)


def test_the_queue_costs_the_same_queries_for_5_rows_as_for_40(
    client, agent, django_assert_max_num_queries
):
    customers = [CustomerFactory() for _ in range(5)]
    for index in range(5):
        services.ticket_claim(ticket=filed(customer=customers[index]), actor=agent)
    few = _queue_queries(client)
    for index in range(35):
        ticket = filed(customer=CustomerFactory() if index % 2 else customers[0])
        if index % 3:
            services.ticket_claim(ticket=ticket, actor=AgentFactory())
    assert len(client.get(url("queue"), {"view": "all"}).context["rows"]) == 40
    assert _queue_queries(client) == few <= 10
    with django_assert_max_num_queries(few - 1):  # counts come from the cache on a refresh
        client.get(url("queue"), {"view": "all"})


def test_bulk_assign_says_what_was_done_and_what_was_refused(client, agent):
    other = AgentFactory()
    customer = CustomerFactory()
    first, second, closed_one = filed(customer), filed(customer), filed(customer)
    services.ticket_merge(ticket=closed_one, actor=agent, into=first)
    response = client.post(
        url("bulk"),
        {
            "action": "assign",
            "tickets": [first.reference, second.reference, closed_one.reference],
            "assignee": other.email,
            "next": "/staff/?view=all",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/staff/?view=all"
    page = html(response)
    assert f"Assigned: {first.reference}, {second.reference}." in page
    assert f"Not done for {closed_one.reference}: This case is closed" in page
    first.refresh_from_db(), second.refresh_from_db(), closed_one.refresh_from_db()
    assert first.assignee == other and second.assignee == other and closed_one.assignee is None


def test_bulk_priority_and_duplicate_closing(client, agent):
    customer = CustomerFactory()
    keep, dup, strangers = filed(customer), filed(customer), filed()
    response = client.post(
        url("bulk"),
        {"action": "priority", "tickets": [keep.reference], "priority": "high"},
        follow=True,
    )
    assert "Not done for" in html(response) and "Say why the priority changes." in html(response)
    client.post(
        url("bulk"),
        {"action": "priority", "tickets": [keep.reference], "priority": "high", "reason": "VIP"},
    )
    keep.refresh_from_db()
    assert keep.priority == "high"
    merge = {
        "action": "merge",
        "tickets": [dup.reference, strangers.reference],
        "into": keep.reference,
    }
    asked = html(client.post(url("bulk"), merge))
    # Closing as duplicates asks first, naming every case it would close.
    assert 'id="bulk-confirm"' in asked and dup.subject in asked and keep.subject in asked
    dup.refresh_from_db()
    assert dup.status != Status.CLOSED
    response = client.post(url("bulk"), {**merge, "confirmed": "1"}, follow=True)
    page = html(response)
    assert f"Closed as duplicates of {keep.reference}: {dup.reference}." in page
    assert f"Not done for {strangers.reference}: Only cases of the same customer" in page
    dup.refresh_from_db()
    assert dup.status == Status.CLOSED and dup.merged_into == keep


def test_bulk_without_a_ticked_row_or_a_target_explains(client, agent, ticket):
    page = html(client.post(url("bulk"), {"action": "assign"}, follow=True))
    assert "Tick at least one case." in page and "Name a staff member or a team." in page


def test_bulk_never_redirects_off_site(client, agent, ticket):
    response = client.post(
        url("bulk"),
        {"action": "assign", "tickets": [ticket.reference], "team": "security", "next": "//x.io/"},
    )
    assert response["Location"] == url("queue")


# The workbench


def test_the_workbench_shows_the_whole_case(client, agent):
    customer = CustomerFactory()
    older = filed(customer, subject="An older problem")
    ticket = filed(
        customer,
        code="withdrawal-not-received",
        subject="USDT withdrawal never arrived",
        files=[png_upload(), pdf_upload()],
        occurred_at="2026-01-18T10:18",
        asset="USDT",
        network="TRC20",
        amount="1520.35",
        wallet_address="TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        txid=TRON_TXID,
    )
    services.ticket_add_message(
        ticket=ticket, author=agent, body="Checked the chain: no transfer.", internal=True
    )
    services.ticket_add_message(ticket=ticket, author=agent, body="We are looking into it.")
    response = client.get(url("ticket", ticket))
    page = html(response)
    assert response.status_code == 200
    assert "msg-internal" in page and "Internal note · not visible to the customer" in page
    assert "Checked the chain: no transfer." in page and "We are looking into it." in page
    image, pdf = sorted(ticket.attachments.all(), key=lambda a: a.content_type != "image/png")
    assert reverse("staff:attachment_preview", args=[image.id]) in page
    assert reverse("staff:attachment_preview", args=[pdf.id]) not in page
    assert reverse("attachment_download", args=[pdf.id]) in page
    assert image.sha256 in page and pdf.sha256 in page
    assert f"tronscan.org/#/transaction/{TRON_TXID}" in page
    assert "1520.35" in page
    assert 'id="sla-panel"' in page and "First reply" in page and "met" in page
    assert "Internal note added" in page  # internal events are on the staff timeline
    assert older.reference in page and 'id="other-cases"' in page


def test_internal_notes_never_reach_the_customer(client, agent, ticket):
    client.post(
        url("note", ticket),
        {"note-body": "Customer is on the watch list.", "note-seen": "0"},
    )
    assert Message.objects.get(ticket=ticket).internal
    assert "watch list" in html(client.get(url("ticket", ticket)))
    client.force_login(ticket.customer)
    page = html(client.get(reverse("tickets:detail", args=[ticket.reference])))
    assert "watch list" not in page and "Internal note" not in page


def test_claim(client, agent, ticket):
    response = client.post(url("claim", ticket))
    assert response.status_code == 302 and response["Location"] == url("ticket", ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == agent and ticket.status == Status.OPEN
    page = html(client.get(url("ticket", ticket)))
    assert "The case is yours." in page and 'id="claim-button"' not in page


def test_assign_to_a_colleague_or_a_team(client, agent, ticket):
    other = AgentFactory()
    client.post(url("assign", ticket), {"assign-assignee": other.email})
    ticket.refresh_from_db()
    assert ticket.assignee == other
    client.post(url("assign", ticket), {"assign-team": "security"})
    ticket.refresh_from_db()
    assert ticket.team.code == "security"
    response = client.post(url("assign", ticket), {"assign-assignee": ticket.customer.email})
    assert response.status_code == 400 and "Choose an active staff member." in html(response)


def test_reply_is_public_and_meets_the_first_response(client, agent, ticket):
    response = client.post(
        url("reply", ticket),
        {"reply-body": "We found your transfer.", "reply-seen": "0", "reply-files": [png_upload()]},
        **HTMX,
    )
    assert response["HX-Redirect"] == url("ticket", ticket)
    message = Message.objects.get(ticket=ticket)
    assert not message.internal and message.attachments.count() == 1
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None


def test_request_info_waits_for_the_customer(client, agent, ticket):
    client.post(url("request_info", ticket), {"request_info-body": "Which network did you use?"})
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING_CUSTOMER and ticket.sla_paused_at is not None
    page = html(client.get(url("ticket", ticket)))
    assert "paused" in page
    client.force_login(ticket.customer)
    assert "Waiting for you" in html(client.get(reverse("tickets:detail", args=[ticket.reference])))


def test_reject_with_a_reason_the_customer_sees(client, agent, ticket):
    reason = {"reject-reason": "This is about another exchange."}
    first = client.post(url("reject", ticket), reason)
    # One click only asks: the agent reads what the customer will read, then confirms.
    assert first.status_code == 200 and 'id="reject-confirm"' in html(first)
    assert "Reject this complaint?" in html(first)
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    client.post(url("reject", ticket), {**reason, "reject-confirmed": "1"})
    ticket.refresh_from_db()
    assert ticket.status == Status.REJECTED
    client.force_login(ticket.customer)
    page = html(client.get(reverse("tickets:detail", args=[ticket.reference])))
    assert "This is about another exchange." in page


def test_propose_a_compensation(client, agent, ticket):
    set_price("USDT", "1")  # 12.5 USD: under the approval limit
    client.post(
        url("propose", ticket),
        {
            "propose-kind": "compensation",
            "propose-summary": "We refund the fee.",
            "propose-amount": "12.5",
            "propose-asset": "USDT",
        },
    )
    resolution = Resolution.objects.get(ticket=ticket)
    assert resolution.kind == "compensation" and str(resolution.amount.normalize()) == "12.5"
    page = html(client.get(url("ticket", ticket)))
    assert 'id="current-proposal"' in page and "12.5 USDT" in page


def test_escalate_priority_and_category(client, agent, ticket):
    client.post(url("priority", ticket), {"priority-priority": "urgent", "priority-reason": "VIP"})
    client.post(
        url("category", ticket),
        {"category-category": "compromised-account", "category-reason": "Account was taken"},
    )
    response = client.post(url("escalate", ticket), {"escalate-reason": "Stolen account"})
    ticket.refresh_from_db()
    assert ticket.priority == "urgent" and ticket.category.code == "compromised-account"
    assert ticket.tier == Tier.APPEAL_CENTER
    # The appeal center's case now: the agent goes back to the queue, an officer reads it.
    assert response["Location"] == reverse("staff:queue")
    assert client.get(url("ticket", ticket)).status_code == 404
    login_verified(client, UserFactory(role="appeal_officer", is_staff=True))
    page = html(client.get(url("ticket", ticket)))
    assert "Reason: VIP" in page and "Note: Stolen account" in page


def test_merge_into_another_case_of_the_customer(client, agent):
    customer = CustomerFactory()
    keep, duplicate = filed(customer), filed(customer)
    asked = html(client.post(url("merge", duplicate), {"merge-into": keep.reference.lower()}))
    assert 'id="merge-confirm"' in asked and keep.subject in asked
    duplicate.refresh_from_db()
    assert duplicate.status == Status.NEW
    client.post(url("merge", duplicate), {"merge-into": keep.reference, "merge-confirmed": "1"})
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED and duplicate.merged_into == keep
    response = client.post(url("merge", keep), {"merge-into": "RD-NONE-XIST"})
    assert "There is no case with this reference." in html(response)


def test_only_allowed_actions_are_shown(client, agent, ticket):
    page = html(client.get(url("ticket", ticket)))
    assert 'id="action-reject"' in page and 'id="request_info-form"' in page
    services.ticket_reject(ticket=ticket, actor=agent, reason="Not ours")
    page = html(client.get(url("ticket", ticket)))
    assert 'id="action-reject"' not in page and 'id="request_info-form"' not in page
    assert 'id="reply-form"' in page  # a rejected case can still be written to


def test_an_illegal_action_is_refused_with_409_and_changes_nothing(client, agent, ticket):
    services.ticket_reject(ticket=ticket, actor=agent, reason="Not ours")
    events = TicketEvent.objects.filter(ticket=ticket).count()
    response = client.post(url("escalate", ticket), {"escalate-reason": "Please"})
    assert response.status_code == 409
    assert "This cannot be done while the case is “Rejected”." in html(response)
    partial = client.post(url("claim", ticket), **HTMX)
    assert partial.status_code == 409 and "<html" not in html(partial)
    ticket.refresh_from_db()
    assert ticket.tier == Tier.SUPPORT and ticket.assignee is None
    assert TicketEvent.objects.filter(ticket=ticket).count() == events


def test_a_validation_error_keeps_what_was_typed(client, agent, ticket):
    response = client.post(
        url("propose", ticket),
        {"propose-kind": "compensation", "propose-summary": "We refund the withdrawal fee."},
    )
    assert response.status_code == 400
    page = html(response)
    assert "Compensation needs an amount." in page and "We refund the withdrawal fee." in page
    assert 'id="action-propose" open' in page
    fragment = html(client.post(url("reject", ticket), {"reject-reason": "   "}, **HTMX))
    assert fragment.lstrip().startswith('<div id="reject-body"')
    assert "Tell the customer why." in fragment
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_a_message_written_meanwhile_stops_the_send_until_confirmed(client, agent, ticket):
    page = client.get(url("ticket", ticket))
    seen = page.context["newest_message"]
    services.ticket_add_message(ticket=ticket, author=ticket.customer, body="Found it, never mind!")
    draft = {"reply-body": "Please send a screenshot.", "reply-seen": str(seen)}
    response = client.post(url("reply", ticket), draft, **HTMX)
    fragment = html(response)
    assert "Found it, never mind!" in fragment and "Send anyway" in fragment
    assert "Please send a screenshot." in fragment
    assert 'name="reply-confirm_stale" value="1"' in fragment
    assert Message.objects.filter(ticket=ticket, author=agent).count() == 0
    full = client.post(url("reply", ticket), draft)
    assert full.status_code == 409 and 'id="tab-reply" checked' in html(full)
    assert html(full).count("Send anyway") == 1  # on the reply form only
    client.post(url("reply", ticket), {**draft, "reply-confirm_stale": "1"})
    assert Message.objects.filter(ticket=ticket, author=agent).count() == 1


def test_presence_names_the_other_agents_on_the_case(client, agent, ticket):
    other = AgentFactory(full_name="Bea Other")
    assert "Nobody else" in html(client.get(url("presence", ticket), **HTMX))
    other_client = type(client)()
    login_verified(other_client, other)
    other_client.get(url("ticket", ticket))
    assert "Also viewing: Bea Other" in html(client.get(url("presence", ticket), **HTMX))
    assert "Also viewing: Bea Other" in html(client.get(url("ticket", ticket)))
    assert "Alex Agent" in html(other_client.get(url("presence", ticket), **HTMX))


def test_the_heartbeat_announces_messages_written_since_the_page_was_drawn(client, agent, ticket):
    newest = services.ticket_add_message(ticket=ticket, author=agent, body="Which account?").pk
    beat = f"{url('presence', ticket)}?seen={newest}"
    assert "written-since" not in html(client.get(beat, **HTMX))
    services.ticket_add_message(ticket=ticket, author=ticket.customer, body="The main one.")
    fragment = html(client.get(beat, **HTMX))
    assert 'id="written-since" hx-swap-oob="true"' in fragment
    assert "A new message was added since you opened this case." in fragment
    # The agent's own words are not news to them; a colleague's note is.
    services.ticket_add_message(ticket=ticket, author=agent, body="Checking the ledger.")
    colleague = AgentFactory()
    services.ticket_add_message(ticket=ticket, author=colleague, body="Seen it.", internal=True)
    assert "2 new messages were added" in html(client.get(beat, **HTMX))
    assert "written-since" not in html(client.get(url("presence", ticket), **HTMX))


def test_a_canned_reply_is_filled_in_the_customers_language(client, agent, ticket):
    CustomerProfile.objects.filter(user=ticket.customer).update(preferred_language="zh-hans")
    reply = CannedReply.objects.create(
        title="Received",
        body_en="Hello {customer_name}, case {reference}.",
        body_zh="{customer_name}，您好。案件 {reference} 已收到。",
    )
    fragment = html(
        client.get(
            url("canned", ticket),
            {"canned": reply.pk, "reply-body": "First line.", "reply-seen": "3"},
            **HTMX,
        )
    )
    assert "First line.\n\n" in fragment
    assert f"{ticket.customer.display_name}，您好。案件 {ticket.reference} 已收到。" in fragment
    assert 'name="reply-seen" value="3"' in fragment
    page = html(client.get(url("ticket", ticket)))
    assert f'<option value="{reply.pk}">Received</option>' in page


def test_images_preview_inline_for_staff_and_pdfs_do_not(client, agent):
    ticket = filed(files=[png_upload(), pdf_upload()])
    image = ticket.attachments.get(content_type="image/png")
    pdf = ticket.attachments.get(content_type="application/pdf")
    response = client.get(reverse("staff:attachment_preview", args=[image.id]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; img-src 'self'; sandbox"
    assert client.get(reverse("staff:attachment_preview", args=[pdf.id])).status_code == 404
    unknown = reverse("staff:attachment_preview", args=[uuid.uuid4()])
    assert client.get(unknown).status_code == 404


# Filing for a customer


def test_staff_file_a_phone_complaint_for_a_customer(client, agent):
    customer = CustomerFactory()
    response = client.post(
        url("file"),
        {
            "customer_email": customer.email.upper(),
            "channel": "phone",
            "category": "withdrawal-not-received",
            "subject": "Withdrawal missing (by phone)",
            "description": "Customer called: 1520.35 USDT never arrived.",
            "occurred_at": "2026-01-18T10:18",
            "asset": "USDT",
            "network": "TRC20",
            "amount": "1520.35",
            "wallet_address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            "txid": TRON_TXID,
            "files": [png_upload()],
        },
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == url("ticket", ticket)
    assert ticket.customer == customer and ticket.filed_by == agent and ticket.channel == "phone"
    assert ticket.events.get(kind=EventKind.FILED).actor == agent


def test_filing_for_someone_who_is_not_a_customer_keeps_the_text(client, agent):
    response = client.post(
        url("file"),
        {
            "customer_email": AgentFactory().email,
            "channel": "email",
            "category": "other",
            "subject": "Typed subject",
            "description": "Typed description",
        },
    )
    assert response.status_code == 400
    page = html(response)
    assert "No customer has this email address." in page
    assert 'value="Typed subject"' in page and "Typed description" in page
    assert Ticket.objects.count() == 0


def test_filing_shows_the_categorys_fields_from_the_staff_endpoint(client, agent):
    page = html(client.get(url("file")))
    assert f'hx-get="{url("category_fields")}"' in page
    fragment = html(
        client.get(url("category_fields"), {"category": "spot-order", "order_id": "123"}, **HTMX)
    )
    assert 'name="trading_pair"' in fragment and 'value="123"' in fragment


def test_the_workbench_costs_the_same_queries_however_long_the_case(client, agent, ticket):
    def workbench_queries() -> int:
        cache.clear()  # the worst case: the staff list is not cached yet
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("ticket", ticket)).status_code == 200
        return len(queries)

    services.ticket_add_message(ticket=ticket, author=agent, body="Note", internal=True)
    short = workbench_queries()
    for number in range(8):
        services.ticket_add_message(
            ticket=ticket, author=ticket.customer, body=f"More {number}", files=[png_upload()]
        )
        services.ticket_add_message(ticket=ticket, author=AgentFactory(), body=f"Reply {number}")
    assert workbench_queries() == short


def test_a_refused_action_answers_with_the_messages_of_its_own_request(client, agent, ticket):
    response = client.post(url("note", ticket), {"note-body": "", "note-seen": "0"}, **HTMX)
    page = html(response)
    assert 'id="note-body"' in page
    assert 'id="messages" hx-swap-oob="true"' in page  # the earlier "sent" message goes


def test_an_agent_with_nothing_assigned_lands_on_their_teams_unassigned(client, agent):
    from accounts.models import Team

    Team.objects.get(code="general").members.add(agent)
    waiting = filed(subject="Referral bonus never paid")  # "other" goes to the general team
    response = client.get(url("queue"))
    assert response.context["view"] == "unassigned"
    page = html(response)
    assert waiting.reference in page
    assert 'aria-current="page" href="/staff/?view=unassigned"' in page
    assert 'hx-get="/staff/?view=unassigned"' in page  # the refresh keeps the view

    services.ticket_claim(ticket=waiting, actor=agent)
    client.get(url("queue"))  # counts are cached briefly; a new page after that sees mine
    cache.clear()
    assert client.get(url("queue")).context["view"] == "mine"
    assert client.get(url("queue"), {"view": "breached"}).context["view"] == "breached"

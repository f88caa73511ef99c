import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from chat import services
from chat.models import (
    AuthorKind,
    Chat,
    ChatAgent,
    ChatEvent,
    ChatEventKind,
    ChatFile,
    ChatState,
)
from tests.chat.helpers import active, available_agent, start, waiting
from tests.factories import AgentFactory, CustomerFactory, png_upload
from tests.helpcenter.helpers import article
from tickets.exceptions import InvalidTransition, NotAllowed
from tickets.models import Attachment, Channel, Status

pytestmark = pytest.mark.django_db

SEED = "abandon ability able about above absent absorb abstract absurd abuse access accident"


def test_the_bot_answers_the_first_message_from_the_help_center():
    article(
        "Why a withdrawal takes longer",
        "A withdrawal that has not arrived is usually waiting for confirmations.",
        slug="withdrawal-delays",
    )
    chat = start(message="withdrawal not arrived")
    messages = list(chat.messages.order_by("seq"))
    assert [m.author_kind for m in messages] == [AuthorKind.CUSTOMER, AuthorKind.BOT]
    assert messages[1].data["articles"][0]["slug"] == "withdrawal-delays"
    assert messages[1].data["ask_solved"] is True
    assert chat.state == ChatState.BOT
    kinds = list(ChatEvent.objects.filter(chat=chat).values_list("kind", flat=True))
    assert kinds == [ChatEventKind.STARTED, ChatEventKind.BOT_ANSWERED]


def test_a_seed_phrase_is_refused_before_anything_is_stored():
    with pytest.raises(ValidationError) as refused:
        start(message=SEED)
    assert "recovery phrase" in refused.value.message_dict["message"][0]
    assert not Chat.objects.exists()

    chat = active()
    before = chat.messages.count()
    with pytest.raises(ValidationError) as refused:
        services.chat_message_add(chat=chat, author=chat.customer, body=f"my words: {SEED}")
    assert "recovery phrase" in refused.value.message_dict["body"][0]
    assert chat.messages.count() == before
    chat.refresh_from_db()
    assert chat.last_seq == before


def test_a_refused_file_stores_nothing_and_says_why():
    chat = active()
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("notes.txt", b"just text", content_type="image/png")
    with pytest.raises(ValidationError) as refused:
        services.chat_message_add(chat=chat, author=chat.customer, file=bad)
    assert "notes.txt" in refused.value.message_dict["file"][0]
    assert not ChatFile.objects.exists()

    message = services.chat_message_add(chat=chat, author=chat.customer, file=png_upload())
    assert message.file.sha256 and message.file.received_sha256


def test_the_queue_puts_a_compromised_account_first_then_first_come():
    first = waiting(message="fee question")
    second = waiting(message="fee again")
    urgent = waiting(message="someone is in my account", category="compromised-account")
    agent = available_agent(max_chats=1)
    offered = Chat.objects.get(agent=agent)
    assert offered.pk == urgent.pk
    services.chat_accept(chat=offered, actor=agent)
    services.chat_end(chat=offered, actor=agent)
    assert Chat.objects.get(agent=agent, state=ChatState.OFFERED).pk == first.pk
    second.refresh_from_db()
    assert second.state == ChatState.WAITING


def test_offers_go_to_the_least_busy_agent_within_limits():
    busy = available_agent(max_chats=3)
    waiting()
    waiting()
    idle = available_agent(max_chats=3)
    third = waiting()
    assert third.agent_id == idle.pk  # busy holds two, idle none
    for _ in range(4):
        waiting()
    loads = {
        agent.pk: Chat.objects.filter(agent=agent, state=ChatState.OFFERED).count()
        for agent in (busy, idle)
    }
    assert loads == {busy.pk: 3, idle.pk: 3}
    assert Chat.objects.filter(state=ChatState.WAITING).count() == 1


def test_an_away_agent_is_offered_nothing_and_the_position_shows():
    agent = AgentFactory()
    services.chat_availability_set(agent=agent, available=False)
    chat = waiting()
    later = waiting()
    from chat import selectors

    assert chat.state == ChatState.WAITING
    assert selectors.queue_position(chat) == 1
    assert selectors.queue_position(later) == 2


def test_only_the_offered_agent_accepts_and_the_customer_sees_who_joined():
    agent = available_agent()
    other = available_agent()
    chat = waiting()
    taker = agent if chat.agent_id == agent.pk else other
    stranger = other if taker is agent else agent
    with pytest.raises(NotAllowed):
        services.chat_accept(chat=chat, actor=stranger)
    services.chat_accept(chat=chat, actor=taker)
    chat.refresh_from_db()
    assert chat.state == ChatState.ACTIVE
    assert services.staff_name(taker) in chat.messages.order_by("-seq").first().body


def test_internal_notes_are_staff_only():
    chat = active()
    with pytest.raises(NotAllowed):
        services.chat_message_add(chat=chat, author=chat.customer, body="x", internal=True)
    note = services.chat_message_add(chat=chat, author=chat.agent, body="VIP", internal=True)
    from chat import selectors

    assert note not in selectors.messages_for(chat, chat.customer)
    assert note in selectors.messages_for(chat, chat.agent)


def test_a_foreign_customer_cannot_write():
    chat = active()
    with pytest.raises(NotAllowed):
        services.chat_message_add(chat=chat, author=CustomerFactory(), body="hi")


def test_turning_a_chat_into_a_case_prefills_and_carries_transcript_and_files():
    chat = active(category="withdrawal-not-received")
    txid = "0x" + "ab" * 32
    services.chat_message_add(
        chat=chat,
        author=chat.customer,
        body=f"I sent 250 USDT on ERC20 to 0x52908400098527886E0F7030069857D2E4169EE7, tx {txid}",
    )
    services.chat_message_add(chat=chat, author=chat.customer, file=png_upload())
    services.chat_message_add(chat=chat, author=chat.agent, body="Checking", internal=True)
    from tests.factories import category

    withdrawal = category("withdrawal-not-received")
    fields = services.prefilled_fields(chat, withdrawal)
    assert fields == {
        "asset": "USDT",
        "network": "ERC20",
        "amount": "250",
        "txid": txid,
        "wallet_address": "0x52908400098527886E0F7030069857D2E4169EE7",
    }
    with pytest.raises(ValidationError) as missing:
        services.chat_to_ticket(chat=chat, actor=chat.agent, category=withdrawal, fields=fields)
    assert "occurred_at" in missing.value.message_dict
    chat.refresh_from_db()
    assert chat.state == ChatState.ACTIVE and chat.ticket is None

    fields["occurred_at"] = "2026-01-05 10:00"
    ticket = services.chat_to_ticket(
        chat=chat, actor=chat.agent, category=withdrawal, fields=fields
    )
    chat.refresh_from_db()
    assert chat.state == ChatState.TICKETED and chat.ticket == ticket
    assert ticket.channel == Channel.CHAT and ticket.status == Status.NEW
    assert ticket.first_response_due_at is not None
    assert "250 USDT" in ticket.description and "Checking" not in ticket.description
    stored = Attachment.objects.get(ticket=ticket)
    sent = ChatFile.objects.get(chat=chat)
    assert (stored.sha256, stored.received_sha256) == (sent.sha256, sent.received_sha256)
    assert ticket.reference in chat.messages.order_by("-seq").first().body
    assert ChatEvent.objects.filter(chat=chat, kind=ChatEventKind.TICKETED).exists()


def test_a_chat_waiting_too_long_becomes_a_case_on_its_own(settings):
    settings.REDRESS_CHAT_MAX_WAIT_MINUTES = 10
    agent = available_agent(max_chats=1)
    active(agent=agent)  # the only agent is full
    chat = waiting(category="deposit-not-credited")
    assert services.chat_sweep().ticketed == []
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        result = services.chat_sweep()
        assert result.ticketed == [chat.pk]
        assert services.chat_sweep().ticketed == []
    chat.refresh_from_db()
    assert chat.state == ChatState.TICKETED
    # The category needs fields the chat does not hold: "Other" takes it.
    assert chat.ticket.category.code == "other"
    assert chat.ticket.customer == chat.customer
    assert chat.ticket.reference in chat.messages.order_by("-seq").first().body


def test_with_nobody_available_a_waiting_chat_becomes_a_case_after_the_grace(settings):
    settings.REDRESS_CHAT_NOBODY_SECONDS = 60
    chat = waiting()
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert services.chat_sweep().ticketed == [chat.pk]


def test_an_offer_not_accepted_goes_back_to_the_queue_and_the_agent_away(settings):
    settings.REDRESS_CHAT_NOBODY_SECONDS = 600
    agent = available_agent()
    chat = waiting()
    assert chat.state == ChatState.OFFERED
    with time_machine.travel(timezone.now() + timedelta(seconds=120)):
        result = services.chat_sweep()
    assert result.expired == [chat.pk]
    chat.refresh_from_db()
    assert chat.state == ChatState.WAITING and chat.agent is None
    assert not agent.chat_agent.__class__.objects.get(pk=agent.pk).available


def test_the_rating_is_checked_once_and_guarded():
    chat = active()
    with pytest.raises(InvalidTransition):
        services.chat_rate(chat=chat, actor=chat.customer, outcome=5, service=5)
    services.chat_end(chat=chat, actor=chat.customer)
    with pytest.raises(ValidationError) as bad:
        services.chat_rate(chat=chat, actor=chat.customer, outcome=0, service=6)
    assert set(bad.value.message_dict) == {"outcome", "service"}
    with pytest.raises(ValidationError):
        services.chat_rate(chat=chat, actor=chat.customer, outcome=4, service=5, comment=SEED)
    services.chat_rate(chat=chat, actor=chat.customer, outcome=4, service=5, comment="Quick")
    with pytest.raises(InvalidTransition):
        services.chat_rate(chat=chat, actor=chat.customer, outcome=4, service=5)


def test_the_estimate_is_the_median_of_recent_waits():
    from chat import selectors

    assert selectors.estimated_wait_seconds() is None
    now = timezone.now()
    for seconds in (30, 60, 600):
        chat = start()
        Chat.objects.filter(pk=chat.pk).update(
            queued_at=now - timedelta(seconds=seconds), accepted_at=now
        )
    assert selectors.estimated_wait_seconds() == 60


def test_chat_events_are_append_only():
    chat = start()
    with pytest.raises(TypeError):
        ChatEvent.objects.filter(chat=chat).update(kind="x")
    with pytest.raises(TypeError):
        ChatEvent.objects.filter(chat=chat).delete()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_offers_never_give_one_chat_to_two_agents():
    agents = [available_agent(max_chats=2) for _ in range(4)]
    for record in agents:
        services.chat_availability_set(agent=record, available=False)
    chats = [waiting() for _ in range(12)]
    from chat.models import ChatAgent

    ChatAgent.objects.update(available=True)
    barrier = threading.Barrier(6)
    offered: list[int] = []

    def run():
        try:
            barrier.wait()
            for _ in range(3):
                offered.extend(services.chat_offer_next())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(offered) == len(set(offered)) == 8
    for agent in agents:
        assert Chat.objects.filter(agent=agent, state=ChatState.OFFERED).count() == 2
    assert Chat.objects.filter(state=ChatState.WAITING).count() == len(chats) - 8
    assert ChatEvent.objects.filter(kind=ChatEventKind.OFFERED).count() == 8


@pytest.mark.postgres
def test_the_queue_query_reads_the_partial_index(django_assert_max_num_queries):
    for _ in range(3):
        waiting()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        sql, params = (
            Chat.objects.filter(state=ChatState.WAITING)
            .order_by("queue_rank", "queued_at", "pk")
            .values("pk")[:50]
            .query.sql_with_params()
        )
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "chat_queue" in plan


def test_only_the_chats_own_people_move_its_read_marks():
    chat = active()
    services.chat_message_add(chat=chat, author=chat.customer, body="hello")
    chat.refresh_from_db()
    stranger, other_agent = CustomerFactory(), AgentFactory()
    assert not services.chat_mark_read(
        chat_id=chat.pk, reader=stranger, side=AuthorKind.CUSTOMER, seq=chat.last_seq
    )
    assert not services.chat_mark_read(
        chat_id=chat.pk, reader=other_agent, side=AuthorKind.AGENT, seq=chat.last_seq
    )
    # The customer claiming the agent's side moves nothing either.
    assert not services.chat_mark_read(
        chat_id=chat.pk, reader=chat.customer, side=AuthorKind.AGENT, seq=chat.last_seq
    )
    assert services.chat_mark_read(
        chat_id=chat.pk, reader=chat.agent, side=AuthorKind.AGENT, seq=chat.last_seq
    )
    chat.refresh_from_db()
    assert (chat.agent_read_seq, chat.customer_read_seq) == (chat.last_seq, 0)


def test_a_declined_offer_goes_to_the_next_agent_and_never_back():
    first = available_agent()
    chat = waiting()
    assert chat.agent_id == first.pk and chat.state == ChatState.OFFERED
    second = available_agent()
    services.chat_decline(chat=chat, actor=first)
    chat.refresh_from_db()
    assert (chat.state, chat.agent_id) == (ChatState.OFFERED, second.pk)
    assert ChatEvent.objects.filter(chat=chat, kind=ChatEventKind.DECLINED).count() == 1
    # The one who passed stays available, and is offered other chats...
    assert ChatAgent.objects.get(user=first).available
    other = waiting()
    assert other.agent_id == first.pk
    # ...but not this one again, even when the second passes too: it waits instead.
    services.chat_decline(chat=chat, actor=second)
    chat.refresh_from_db()
    assert (chat.state, chat.agent) == (ChatState.WAITING, None)
    with pytest.raises(NotAllowed):  # no longer offered to them
        services.chat_decline(chat=chat, actor=second)


def test_only_the_agent_offered_a_chat_may_decline_it():
    available_agent()
    chat = waiting()
    with pytest.raises(NotAllowed):
        services.chat_decline(chat=chat, actor=AgentFactory())
    with pytest.raises(NotAllowed):
        services.chat_decline(chat=chat, actor=chat.customer)
    chat.refresh_from_db()
    assert chat.state == ChatState.OFFERED

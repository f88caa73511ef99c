"""A surge of filings: every receipt mailed exactly once, and each filing's queries fixed."""

import threading
from collections import Counter

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mail.models import Notification
from mail.tasks import notify
from outbox import relay
from outbox.models import Message
from outbox.tasks import relay as relay_task
from tests.factories import CustomerFactory, png_upload
from tests.tickets.test_api import WITHDRAWAL, client_for
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def withdrawal(n: int) -> dict:
    # Each customer's own transaction: no filing is another's duplicate.
    return {**WITHDRAWAL, "fields": {**WITHDRAWAL["fields"], "txid": f"{n:064x}"}}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_surge_of_concurrent_filings_mails_each_receipt_exactly_once():
    customers = CustomerFactory.create_batch(24)
    references, errors, lock = [], [], threading.Lock()

    def file(index: int) -> None:
        try:
            for n in range(index, len(customers), 6):
                response = client_for(customers[n]).post(
                    "/api/v1/tickets/", withdrawal(n), format="json"
                )
                with lock:
                    if response.status_code == 201:
                        references.append(response.json()["reference"])
                    else:
                        errors.append(response.content)
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(references) == len(customers)
    tickets = list(Ticket.objects.filter(reference__in=references))
    assert len(tickets) == len(customers)

    # Delivery to the workers is at least once: a relay that died before marking what it
    # sent sends it all again, a worker runs a task twice, two relays run at once.
    Message.objects.update(sent_at=None, attempts=1)
    relay_task()
    Message.objects.update(sent_at=None)
    runs = [threading.Thread(target=lambda: (relay.relay(), connection.close())) for _ in (1, 2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    for ticket in tickets:
        notify("ticket_filed", ticket.pk)

    receipts = Counter(
        reference for message in mail.outbox for reference in references
        if reference in message.subject and message.to == [message.to[0]]
    )  # fmt: skip
    assert receipts == Counter(references)  # each case's receipt once, none twice
    rows = Notification.objects.filter(kind="received", ticket__in=tickets)
    assert sorted(rows.values_list("ticket_id", flat=True)) == sorted(t.pk for t in tickets)
    assert set(rows.values_list("state", flat=True)) == {Notification.State.SENT}


# What one filing asks the database before its 201, whoever files and whatever came before:
# the caller's role, the category with its team, the duplicate lookup, the ticket (in a
# savepoint, for a reference that is taken), its audit event, its search document (read
# and written), its outbox message; the transaction's savepoint in a test. The policies and
# the assets and networks come from each process's copy; the 201 reads nothing more.
FILING_QUERIES = 12


@pytest.mark.postgres
def test_a_filing_asks_the_database_a_fixed_number_of_times(django_capture_on_commit_callbacks):
    client_for(CustomerFactory()).post("/api/v1/tickets/", withdrawal(0), format="json")
    for n in (1, 2):
        client = client_for(CustomerFactory())
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=False),  # the worker's part
        ):
            response = client.post("/api/v1/tickets/", withdrawal(n), format="json")
        assert response.status_code == 201, response.content
        assert len(queries) == FILING_QUERIES, "\n".join(q["sql"][:160] for q in queries)


@pytest.mark.postgres
def test_a_screenshot_for_a_new_case_asks_the_database_a_fixed_number_of_times(
    django_capture_on_commit_callbacks,
):
    counts = []
    for n in (0, 1, 2):
        client = client_for(CustomerFactory())
        reference = client.post("/api/v1/tickets/", withdrawal(n), format="json").json()[
            "reference"
        ]
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = client.post(
                f"/api/v1/tickets/{reference}/attachments/",
                {"file": png_upload(size=(1280, 800))},
                format="multipart",
            )
        assert response.status_code == 201, response.content
        counts.append(len(queries))
    assert counts[1] == counts[2], counts


def test_a_receipt_whose_task_could_not_reach_the_database_is_sent_on_its_retry(monkeypatch):
    from django.db import OperationalError

    from mail import events

    ticket = client_for(CustomerFactory()).post("/api/v1/tickets/", withdrawal(9), format="json")
    reference = ticket.json()["reference"]
    mail.outbox.clear()
    real, calls = events.EVENTS["ticket_filed"], []

    def once_unreachable(ticket_id):
        calls.append(ticket_id)
        if len(calls) == 1:
            raise OperationalError("FATAL:  sorry, too many clients already")
        return real(ticket_id)

    monkeypatch.setitem(events.EVENTS, "ticket_filed", once_unreachable)
    monkeypatch.setattr(notify, "retry_backoff", False)  # no wait in the test
    # As a worker runs it: the retry is sent again rather than raised to the caller.
    notify.apply(args=["ticket_filed", Ticket.objects.get(reference=reference).pk], throw=False)
    assert len(calls) == 2
    assert [m.subject for m in mail.outbox if reference in m.subject]

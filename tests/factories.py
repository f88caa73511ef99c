import io

import factory
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from accounts import roles
from accounts.models import CustomerProfile, Team, User
from tickets.models import Category, Ticket

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """`role=` names a group; the subclasses below give each its default role."""
        if create:
            self.save()
            if extracted:
                self.groups.add(Group.objects.get(name=extracted))


def _with_role(role: str):
    def hook(self, create, extracted, **kwargs):
        if create:
            self.save()
            self.groups.add(Group.objects.get(name=extracted or role))

    return factory.PostGeneration(hook)


class CustomerFactory(UserFactory):
    role = _with_role(roles.CUSTOMER)
    profile = factory.RelatedFactory(
        "tests.factories.CustomerProfileFactory", factory_related_name="user"
    )


class CustomerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerProfile

    exchange_uid = factory.Sequence(lambda n: f"{38000000 + n}")
    preferred_language = "en"


class AgentFactory(UserFactory):
    """A support agent, member of every team unless `teams=` names the codes of some: an
    agent reads the support cases of their teams (tickets.selectors)."""

    role = _with_role(roles.AGENT)
    is_staff = True

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create:
            chosen = (
                Team.objects.all() if extracted is None else Team.objects.filter(code__in=extracted)
            )
            self.teams.set(chosen)


def category(code: str = "other") -> Category:
    """The seeded categories (migration 0003) are the real ones: tests use them."""
    return Category.objects.get(code=code)


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket row for reads; writes under test go through tickets.services."""

    class Meta:
        model = Ticket

    reference = factory.Sequence(lambda n: f"RD-TEST-{n:04d}")
    customer = factory.SubFactory(CustomerFactory)
    filed_by = factory.SelfAttribute("customer")
    category = factory.LazyFunction(category)
    subject = "My withdrawal did not arrive"
    description = "I withdrew funds and they never arrived."


def filed_cases(count: int, customer: User | None = None) -> list[Ticket]:
    """`count` KYC cases of one customer, filed through the service (SLA started)."""
    from tickets import services

    customer = customer or CustomerFactory()
    return [
        services.ticket_file(
            customer=customer,
            filed_by=customer,
            category=category("kyc"),
            subject=f"Case {i}",
            description="Stuck.",
            fields={},
        )
        for i in range(count)
    ]


def png_upload(name: str = "screenshot.png", size=(64, 48)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf_upload(name: str = "statement.pdf") -> SimpleUploadedFile:
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile(name, body, content_type="application/pdf")


# Staff two-factor sign-in (accounts.two_factor). Staff pages and the admin need a session
# verified by a TOTP device: `login_verified(client, user)` is `force_login` for them.


def enroll_totp(user: User) -> TOTPDevice:
    """A confirmed TOTP device for `user`, as an admin would enroll it."""
    return TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """The code the authenticator app shows now (time-machine moves "now" too)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def login_verified(client, user: User) -> TOTPDevice:
    """Sign `user` in on the test client with the second factor done (web and session API)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or enroll_totp(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def admin_user(**kwargs) -> User:
    return UserFactory(role=roles.ADMIN, is_staff=True, **kwargs)


def set_price(code: str, price: str, by: User | None = None):
    """An admin sets the asset's reference price (REDRESS_REFERENCE_CURRENCY), as in the admin."""
    from tickets.models import Asset
    from tickets.services import asset_price_set

    return asset_price_set(
        asset=Asset.objects.get(code=code), price=price, actor=by or admin_user()
    )


def committee_decides(ticket, members, decision: str, rationale: str, remedy: str = ""):
    """Every member votes `decision`; the member who drafts it then publishes the decision."""
    from escalation import services as lifecycle
    from escalation.models import Panel

    for member in members:
        lifecycle.vote_cast(
            ticket=ticket, member=member, decision=decision, rationale=rationale, remedy=remedy
        )
    drafter = Panel.objects.filter(ticket=ticket).latest("created_at").drafter
    return lifecycle.decision_publish(
        ticket=ticket, member=drafter, rationale=rationale, remedy=remedy
    )

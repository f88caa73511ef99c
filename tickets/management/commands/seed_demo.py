"""Demo accounts and a few realistic cases; safe to run again (nothing is duplicated)."""

import io
import os
from urllib.parse import quote, urlencode

import qrcode
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts import roles, two_factor
from accounts.models import CustomerProfile, Team, User
from tickets import services
from tickets.models import Asset, Category, Channel, Ticket

# The authenticator secret of every demo staff account (base32, as apps show it). The
# default is a widely published example secret: fine for a demo, never for real staff.
DEFAULT_TOTP_SECRET = "JBSWY3DPEHPK3PXP"
TOTP_DEVICE_NAME = "Demo authenticator"

STAFF = [
    ("agent@example.com", "Alex Agent", [roles.AGENT], ["funding", "trading", "general"]),
    ("appeals@example.com", "Avery Appeals", [roles.APPEAL_OFFICER], []),
    ("committee1@example.com", "Chen Committee", [roles.COMMITTEE], []),
    ("committee2@example.com", "Casey Committee", [roles.COMMITTEE], []),
    ("committee3@example.com", "Cameron Committee", [roles.COMMITTEE], []),
]


# Reference prices in REDRESS_REFERENCE_CURRENCY (USD by default) that the demo's admin
# sets, so compensation is valued for the four-eyes limit.
DEMO_PRICES = [
    ("BTC", "60000"),
    ("ETH", "3000"),
    ("USDT", "1"),
    ("USDC", "1"),
    ("BNB", "600"),
    ("TRX", "0.25"),
    ("SOL", "150"),
    ("XRP", "0.5"),
    ("LTC", "80"),
    ("DOGE", "0.15"),
]


def _screenshot(lines: list[str]) -> SimpleUploadedFile:
    image = Image.new("RGB", (720, 240), "white")
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((24, 24 + row * 28), line, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile("screenshot.png", buffer.getvalue(), content_type="image/png")


class Command(BaseCommand):
    help = "Create the demo accounts and cases (idempotent) and print how to sign in."

    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD", "redress-demo")
        totp_secret = os.environ.get("DEMO_TOTP_SECRET", DEFAULT_TOTP_SECRET)
        try:
            two_factor.base32_to_hex(totp_secret)
        except ValueError as error:
            raise CommandError(f"DEMO_TOTP_SECRET: {error}") from error
        with transaction.atomic():
            customer = self._user(
                "customer@example.com", "Casey Customer", password, [roles.CUSTOMER]
            )
            CustomerProfile.objects.get_or_create(
                user=customer, defaults={"exchange_uid": "38211907", "preferred_language": "en"}
            )
            for email, name, groups, teams in STAFF:
                user = self._user(email, name, password, groups, staff=True)
                for code in teams:
                    Team.objects.get(code=code).members.add(user)
            admin = self._user(
                "admin@example.com", "Ada Admin", password, [roles.ADMIN], staff=True
            )
            if not admin.is_superuser:
                admin.is_superuser = True
                admin.save(update_fields=["is_superuser"])
            for user in User.objects.filter(email__in=[row[0] for row in STAFF] + [admin.email]):
                two_factor.totp_enroll(user=user, base32_secret=totp_secret, name=TOTP_DEVICE_NAME)
            self._prices(admin)
        if not Ticket.objects.filter(customer=customer).exists():
            self._cases(customer, User.objects.get(email="agent@example.com"))
        self._print(password)
        self._print_totp(totp_secret)

    def _prices(self, admin: User) -> None:
        """Reference prices so compensation is valued (round demo figures, not market data)."""
        for code, price in DEMO_PRICES:
            asset = Asset.objects.filter(code=code).first()
            if asset and services.price_in_force(asset) is None:
                services.asset_price_set(asset=asset, price=price, actor=admin)

    def _user(self, email, name, password, groups, staff=False) -> User:
        user, _created = User.objects.get_or_create(email=email, defaults={"full_name": name})
        user.set_password(password)
        user.is_staff = staff
        # Demo addresses are confirmed already: nobody reads example.com's mail.
        user.email_verified_at = user.email_verified_at or timezone.now()
        user.save()
        user.groups.add(*Group.objects.filter(name__in=groups))
        return user

    def _cases(self, customer: User, agent: User) -> None:
        def file(code, subject, description, fields, files=(), channel=Channel.WEB):
            return services.ticket_file(
                customer=customer,
                filed_by=customer,
                category=Category.objects.get(code=code),
                subject=subject,
                description=description,
                fields=fields,
                files=files,
                channel=channel,
            )

        file(
            "withdrawal-not-received",
            "USDT withdrawal to my wallet never arrived",
            "I withdrew 1,520.35 USDT on TRC20 to my own wallet. The exchange shows it as "
            "completed, but my wallet received nothing after six hours.",
            {
                "occurred_at": "2026-11-18 10:18",
                "asset": "USDT",
                "network": "TRC20",
                "amount": "1520.35",
                "wallet_address": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
                "txid": "c4b5fb0e1cf1b0a5b8f2a1e0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0",
            },
            files=[_screenshot(["Withdrawal history", "USDT  1,520.35  TRC20  Completed"])],
        )
        deposit = file(
            "deposit-not-credited",
            "ETH deposit confirmed on chain but not credited",
            "I sent 0.85 ETH from my hardware wallet. Etherscan shows 64 confirmations, "
            "my balance on the exchange is unchanged.",
            {
                "occurred_at": "2026-11-19 21:04",
                "asset": "ETH",
                "network": "ERC20",
                "amount": "0.85",
                "txid": "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
            },
        )
        services.ticket_triage(ticket=deposit, actor=agent)
        services.ticket_add_message(
            ticket=deposit,
            author=agent,
            body="Thank you. The deposit reached our hot wallet; our finance team is crediting it "
            "manually. You will see it within 24 hours.",
        )
        spot = file(
            "spot-order",
            "Limit order filled far below my price",
            "My BTC/USDT limit sell at 97,500 filled at 91,200 during the spike.",
            {
                "order_id": "1734592210038",
                "trading_pair": "BTC/USDT",
                "occurred_at": "2026-11-20 03:12",
            },
        )
        services.ticket_request_info(
            ticket=spot,
            actor=agent,
            body="Could you send a screenshot of the order details page, including the order type?",
        )
        file(
            "compromised-account",
            "Someone logged in from another country and withdrew my BTC",
            "I got a login alert from an unknown device, then 0.3 BTC left my account. "
            "I did not do this. I have changed my password.",
            {"occurred_at": "2026-11-21 01:40", "asset": "BTC", "amount": "0.3"},
        )
        file(
            "kyc",
            "KYC review stuck for two weeks",
            "My identity verification has said 'under review' since November 5th.",
            {},
            channel=Channel.EMAIL,
        )

    def _print(self, password: str) -> None:
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"  Password for every demo account: {password}")
        for email in [
            "customer@example.com",
            "agent@example.com",
            "appeals@example.com",
            "committee1@example.com",
            "committee2@example.com",
            "committee3@example.com",
            "admin@example.com",
        ]:
            self.stdout.write(f"  {email}")
        self.stdout.write(f"  Mail is written to {settings.EMAIL_FILE_PATH}/")

    def _print_totp(self, secret: str) -> None:
        secret = "".join(secret.split()).upper()
        issuer = settings.OTP_TOTP_ISSUER
        uri = f"otpauth://totp/{quote(issuer)}:demo-staff?" + urlencode(
            {"secret": secret, "issuer": issuer}
        )
        self.stdout.write("  Staff also enter a code from an authenticator app (TOTP), set up with")
        self.stdout.write(f"    the secret {secret} (DEMO_TOTP_SECRET), or this link or QR code:")
        self.stdout.write(f"    {uri}")
        qr = qrcode.QRCode(border=1)
        qr.add_data(uri)
        picture = io.StringIO()
        qr.print_ascii(out=picture, invert=True)
        self.stdout.write(picture.getvalue())

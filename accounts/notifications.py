"""Mail about an account's sign-in, in its owner's language.

Mails that carry a link issue the link when they are sent (accounts.links), so its token
exists only in the mail: not in the outbox, the broker or a log.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts import links, roles
from accounts.models import AccessLink, AccountEvent, User


def _language_of(user: User) -> str:
    profile = getattr(user, "customer_profile", None)
    return profile.preferred_language if profile else settings.LANGUAGE_CODE


def _url(name: str, *args) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def send(user: User, template: str, context: dict) -> None:
    """One mail to `user` from templates/accounts/email/<template>(_subject).txt."""
    with translation.override(_language_of(user)):
        context = {
            **context,
            "user": user,
            "official_domain": settings.OFFICIAL_DOMAIN,
            "site_url": settings.SITE_URL.rstrip("/"),
        }
        subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"accounts/email/{template}.txt", context)
    EmailMultiAlternatives(subject, body, to=[user.email]).send()


def _user(user_id: int) -> User | None:
    return User.objects.select_related("customer_profile").filter(pk=user_id).first()


def email_verification(user_id: int) -> None:
    user = _user(user_id)
    if user is None or user.email_verified:
        return
    hours = settings.REDRESS_EMAIL_VERIFICATION_HOURS
    token = links.link_issue(
        kind=AccessLink.Kind.VERIFY_EMAIL, user=user, lifetime=timedelta(hours=hours)
    )
    send(user, "confirm_email", {"link": _url("accounts:confirm_email", token), "hours": hours})


def already_registered(user_id: int) -> None:
    """Someone signed up with an address that has an account: tell its owner, not them."""
    user = _user(user_id)
    if user is None:
        return
    send(
        user,
        "already_registered",
        {
            "login_url": _url("accounts:login"),
            "reset_url": _url("accounts:password_reset"),
        },
    )


def unlock_link(user_id: int) -> None:
    user = _user(user_id)
    if user is None or not user.is_active:
        return
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    token = links.link_issue(
        kind=AccessLink.Kind.UNLOCK, user=user, lifetime=settings.AXES_COOLOFF_TIME
    )
    send(user, "unlock", {"link": _url("accounts:unlock", token), "minutes": minutes})


def enrolment_invitation(user_id: int, invited_by_id: int | None) -> None:
    user = _user(user_id)
    if user is None or not user.is_active:
        return
    hours = settings.REDRESS_ENROLMENT_HOURS
    token = links.link_issue(
        kind=AccessLink.Kind.ENROL,
        user=user,
        lifetime=timedelta(hours=hours),
        created_by=User.objects.filter(pk=invited_by_id).first() if invited_by_id else None,
    )
    send(user, "enrolment_invitation", {"link": _url("accounts:enrol", token), "hours": hours})


def security_notice(event_id: int) -> None:
    """Tell the account's owner what changed on it (2FA, password, tokens), and from where."""
    event = AccountEvent.objects.select_related("user__customer_profile", "actor").get(pk=event_id)
    send(
        event.user,
        "security_notice",
        {"event": event, "by_someone_else": event.actor_id not in (None, event.user_id)},
    )


def lockout_alert(user_id: int, failures: int, addresses: int) -> None:
    """Admins hear when an account is locked from everywhere: someone is guessing at it."""
    user = _user(user_id)
    if user is None:
        return
    admins = User.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(groups__name=roles.ADMIN)
    )
    context = {
        "account": user,
        "failures": failures,
        "addresses": addresses,
        "admin_url": _url("admin:axes_accessattempt_changelist"),
    }
    for admin in admins.distinct():
        send(admin, "lockout_alert", context)

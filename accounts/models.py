from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with their email address: customer or staff."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    # Staff who are away are skipped when new cases are handed out round-robin.
    is_available = models.BooleanField(_("available for new cases"), default=True)
    # Set when the owner followed the link mailed at sign-up (or a password reset link):
    # only then may a customer file, since the desk answers to that address.
    email_verified_at = models.DateTimeField(_("email confirmed at"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self._password_replaced = True

    def save(self, *args, **kwargs):
        # A new password ends every API token issued under the old one, whichever door
        # changed it (profile, reset link, admin, `changepassword`): tokens are not tied to
        # the session hash that signs other browsers out.
        replaced = getattr(self, "_password_replaced", False) and not self._state.adding
        super().save(*args, **kwargs)
        if replaced:
            self._password_replaced = False
            ApiToken.objects.filter(user=self, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )


class CustomerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_profile"
    )
    exchange_uid = models.CharField(
        _("exchange UID"),
        max_length=64,
        blank=True,
        help_text=_("Your user ID on the exchange, shown in your account settings."),
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )

    class Meta:
        verbose_name = _("customer profile")
        verbose_name_plural = _("customer profiles")

    def __str__(self) -> str:
        return f"{self.user.email} ({self.exchange_uid or '-'})"


class Team(models.Model):
    """A group of staff that owns a set of categories' tickets."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True, verbose_name=_("members")
    )
    # A team lead (DESIGN.md) is an agent or officer who also reads the team's reports and
    # is alerted on its low satisfaction scores and its cases near the final-decision
    # deadline. Admins choose them here; they need not work the team's queue themselves.
    leads = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="led_teams",
        blank=True,
        verbose_name=_("team leads"),
        help_text=_(
            "Staff who read this team's reports and are alerted on its low satisfaction "
            "scores and its cases near the final-decision deadline."
        ),
    )
    round_robin = models.BooleanField(
        _("hand out new cases round-robin"),
        default=False,
        help_text=_("Assign each new case to the next available member in turn."),
    )
    # The member who got the last case: the next one goes to whoever follows them.
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the page's language: the Chinese one on a Chinese page, if written.
        Records for outsiders (the regulator's register) keep the English `name`."""
        if (get_language() or "").startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name


class ApiToken(models.Model):
    """A key for `Authorization: Token …`, shown once when issued and stored only hashed.

    Each sign-in through the token endpoint issues its own token, so its owner can tell
    them apart, and each expires (REDRESS_API_TOKEN_DAYS). Revoked tokens stay listed in
    the admin as a record of who held access when.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the key, enough for its owner to recognise it in a list.
    prefix = models.CharField(_("starts with"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_active")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class AccessLink(models.Model):
    """A single-use link mailed to one person: confirm an address, enrol an authenticator,
    or sign in past a lockout. Only the hash of its token is stored."""

    class Kind(models.TextChoices):
        VERIFY_EMAIL = "verify_email", _("confirm the email address")
        ENROL = "enrol", _("enrol an authenticator")
        UNLOCK = "unlock", _("sign in past a lockout")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_links"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("access link")
        verbose_name_plural = _("access links")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user}"


class BackupCode(models.Model):
    """One of a staff member's single-use backup codes, kept as a keyed hash only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="backup_codes"
    )
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("backup code")
        verbose_name_plural = _("backup codes")

    def __str__(self) -> str:
        return f"{self.user} ({'used' if self.used_at else 'unused'})"


class AccountEvent(models.Model):
    """What happened to an account's sign-in: the security audit trail. Never edited."""

    class Kind(models.TextChoices):
        SIGNED_UP = "signed_up", _("Signed up")
        EMAIL_VERIFIED = "email_verified", _("Email address confirmed")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset by mailed link")
        TOKEN_ISSUED = "token_issued", _("API token issued")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")
        LOCKED = "locked", _("Sign-in paused for the account")
        UNLOCK_MAILED = "unlock_mailed", _("Unlock link mailed")
        UNLOCK_USED = "unlock_used", _("Unlock link used")
        ENROLMENT_INVITED = "enrolment_invited", _("Two-factor enrolment invitation issued")
        ENROLLED = "enrolled", _("Authenticator enrolled")
        BACKUP_CODES_REGENERATED = "backup_codes_regenerated", _("Backup codes replaced")
        BACKUP_CODE_USED = "backup_code_used", _("Signed in with a backup code")
        DEVICE_REMOVED = "device_removed", _("Authenticator removed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    kind = models.CharField(_("what"), max_length=40, choices=Kind.choices)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("account event")
        verbose_name_plural = _("account events")
        indexes = [models.Index(fields=["user", "kind", "created_at"], name="accountevent_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user}"

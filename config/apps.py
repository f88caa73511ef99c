from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ProjectConfig(AppConfig):
    """The project itself: what concerns every app at once (the database role's grants)."""

    name = "config"
    label = "redress"
    verbose_name = "Redress"

    def ready(self):
        from config import db_roles

        # Sent once per app after a migrate: the grants are idempotent and cheap.
        post_migrate.connect(db_roles.grant_after_migrate, dispatch_uid="redress-db-grants")

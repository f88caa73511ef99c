from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpcenterConfig(AppConfig):
    name = "helpcenter"
    verbose_name = _("Help center")

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from helpcenter.models import Article
        from helpcenter.search import library_changed

        # A deleted article (the admin's delete) leaves every cached result behind.
        post_delete.connect(
            lambda **kwargs: library_changed(), sender=Article, weak=False, dispatch_uid="help"
        )

"""Load the help center's starting library (helpcenter/content/); safe to run again.

An article is written only when the file says something it does not say already, so a
second run changes nothing (not even an updated date).
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from helpcenter import library, services
from helpcenter.models import Article

FIELDS = ("topic", "title_en", "title_zh", "body_en", "body_zh")


class Command(BaseCommand):
    help = "Load the help-center articles in both languages (idempotent)."

    def handle(self, *args, **options):
        category_model = Article.categories.field.related_model
        codes = dict(category_model.objects.values_list("code", "pk"))
        written = 0
        with transaction.atomic():
            for entry in library.load():
                article = Article.objects.filter(slug=entry.slug).first() or Article(
                    slug=entry.slug
                )
                wanted = {name: getattr(entry, name) for name in FIELDS}
                wanted.update(is_published=True, is_popular=entry.popular)
                categories = sorted(codes[code] for code in entry.categories if code in codes)
                same = (
                    article.pk is not None
                    and all(getattr(article, name) == value for name, value in wanted.items())
                    and sorted(article.categories.values_list("pk", flat=True)) == categories
                )
                if same:
                    continue
                for name, value in wanted.items():
                    setattr(article, name, value)
                services.article_save(article=article, categories=categories)
                written += 1
        total = Article.objects.count()
        self.stdout.write(f"Help center: {total} articles ({written} written now).")

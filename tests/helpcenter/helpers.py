"""Articles for tests, written through the service the admin and the seed use."""

from helpcenter import services
from helpcenter.models import Article
from tests.factories import category

_counter = iter(range(1, 1_000_000))


def article(
    title_en="An article",
    body_en="Some text.",
    title_zh="",
    body_zh="",
    *,
    topic="account",
    categories=(),
    published=True,
    popular=False,
    slug=None,
) -> Article:
    return services.article_save(
        article=Article(
            slug=slug or f"article-{next(_counter)}",
            topic=topic,
            title_en=title_en,
            body_en=body_en,
            title_zh=title_zh,
            body_zh=body_zh,
            is_published=published,
            is_popular=popular,
        ),
        categories=[category(code) for code in categories],
    )

"""The help center at 10,000 articles: search and suggestions in process, pages through gunicorn.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_bench \
        uv run python bench/helpcenter.py --articles 10000 --runs 200

It writes `--articles` published articles in both languages (slugs `bench-…`, replaced on
every run; the real library is loaded first with seed_helpcenter), generated from the
starting library's paragraphs so the words are the real ones in new mixes, and indexed by
the application's own service. Then it times, in this process, `search_articles` and
`suggest_articles` over a fixed mix of English, Chinese and mixed queries (common and rare
words, identifiers, prefixes being typed, with and without a category) and prints p50/p95
per kind. Last it starts gunicorn (bench/queue_page.py's helper, the same settings) and
requests the search page, the home page and an article as a reader's browser would.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path[:] = [str(Path(__file__).resolve().parent.parent)] + [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent
]
from bench.queue_page import Browser, gunicorn, percentile  # noqa: E402  (sets the settings)
from bench.sla_sweep import backend_cpu_seconds, cpu_seconds  # noqa: E402

TARGET_IN_PROCESS_MS = 20.0
TARGET_PAGE_MS = 50.0
SEARCHES = {
    "English word": ["withdrawal", "deposit", "liquidation", "password", "fee"],
    "English phrase": ["deposit not credited", "withdrawal under review", "reset my password"],
    "Chinese word": ["到账", "提现", "冻结账户", "身份认证", "强平"],
    "mixed": ["USDT 提现未到账", "API 签名错误", "KYC 审核"],
    "rare or none": ["bench-rare-0042", "staking rewards", "xyzzy"],
}
SUGGESTIONS = [
    ("USDT withdrawal never arr", "withdrawal-not-received"),
    ("deposit not cred", "deposit-not-credited"),
    ("someone logged into my acc", "compromised-account"),
    ("提现未到", "withdrawal-not-received"),
    ("账户被盗，请立即冻", "compromised-account"),
    ("KYC rejected", "kyc"),
    ("stop loss did not trig", None),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200, help="timed calls per query kind")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="reuse the generated articles")
    return parser.parse_args(argv)


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def generate(count: int) -> None:
    """`count` bench articles from the library's paragraphs, indexed by the real service."""
    from django.core.management import call_command
    from django.db import transaction

    from helpcenter import library, services
    from helpcenter.models import Article

    call_command("seed_helpcenter", verbosity=0)
    Article.objects.filter(slug__startswith="bench-").delete()
    source = library.load()
    paragraphs = {
        "en": [p for a in source for p in a.body_en.split("\n\n") if len(p) > 80],
        "zh": [p for a in source for p in a.body_zh.split("\n\n") if len(p) > 40],
    }
    category_model = Article.categories.field.related_model
    categories = list(category_model.objects.all())
    rng = random.Random(42)
    started = time.monotonic()
    for start in range(0, count, 500):
        with transaction.atomic():
            for n in range(start, min(count, start + 500)):
                base = source[n % len(source)]
                article = Article(
                    slug=f"bench-{n:05d}",
                    topic=base.topic,
                    title_en=f"{base.title_en} ({n})",
                    title_zh=f"{base.title_zh}（{n}）",
                    body_en="\n\n".join(rng.sample(paragraphs["en"], 5))
                    + (f"\n\nReference bench-rare-{n:04d}." if n % 1000 == 42 else ""),
                    body_zh="\n\n".join(rng.sample(paragraphs["zh"], 5)),
                    is_published=True,
                )
                services.article_save(article=article, categories=rng.sample(categories, 2))
        sys.stderr.write(f"\rarticles {min(count, start + 500):,}/{count:,} "
                         f"{time.monotonic() - started:.0f} s")  # fmt: skip
    sys.stderr.write("\n")
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("helpcenter_article", "helpcenter_article_categories",
                      "helpcenter_articledocument"):  # fmt: skip
            cursor.execute(f"VACUUM ANALYZE {table}")


class Timed(list):
    """Wall times in ms, and the CPU this process and its PostgreSQL backend spent per call:
    what a call costs on an idle machine, whatever else runs on a shared one."""

    cpu_ms: float | None = None


def timed(call, runs: int, *, cpu: bool = False) -> Timed:
    times = Timed()
    before = (cpu_seconds(), backend_cpu_seconds()) if cpu else None
    for index in range(runs):
        started = time.perf_counter()
        call(index)
        times.append((time.perf_counter() - started) * 1000)
    if before is not None and before[1] is not None:
        spent = cpu_seconds() - before[0] + backend_cpu_seconds() - before[1]
        times.cpu_ms = spent * 1000 / runs
    return times


def row(label: str, times: Timed, target: float, extra: str = "") -> str:
    p95 = percentile(times, 95)
    verdict = "ok" if p95 < target else "MISSED"
    cpu = f"{times.cpu_ms:>8.2f}" if times.cpu_ms is not None else f"{'':>8}"
    return (
        f"{label:<30} {statistics.median(times):>8.2f} {p95:>8.2f} {max(times):>8.2f} {cpu}  "
        f"{verdict} {extra}"
    )


def main(argv=None):
    args = parse_args(argv)
    import django

    django.setup()
    from django.db import connection

    from helpcenter import search
    from helpcenter.models import Article

    if connection.vendor != "postgresql":
        raise SystemExit("set DATABASE_URL to a PostgreSQL database (see bench/README.md)")
    if not args.keep or not Article.objects.filter(slug__startswith="bench-").exists():
        generate(args.articles)
    total = Article.objects.filter(is_published=True).count()
    print(f"{total:,} published articles, {total * 2:,} documents; load average {load()}")

    print(f"\n{'in process (ms)':<30} {'median':>8} {'p95':>8} {'max':>8} {'CPU/call':>8}")
    for cached in (False, True):
        search.CACHE_RESULTS = cached
        print("-- results cached (a repeated query)" if cached else "-- ranked on every call")
        in_process(args)
    connection.close()

    slug = Article.objects.filter(slug__startswith="bench-").values_list("slug", flat=True)[0]
    pages = [
        ("search page (English)", "/help/search/?" + urlencode({"q": "withdrawal fee"})),
        ("search page (Chinese)", "/help/search/?" + urlencode({"q": "提现未到账"})),
        ("suggestions (htmx)", "/help/suggestions/?" + urlencode(
            {"subject": "USDT withdrawal never arr", "category": "withdrawal-not-received"})),
        ("help home", "/help/"),
        ("article", f"/help/articles/{slug}/"),
    ]  # fmt: skip
    print(f"\n{'through gunicorn (ms)':<30} {'median':>8} {'p95':>8} {'max':>8}"
          f"   (--workers {args.workers}, load average {load()})")  # fmt: skip
    with gunicorn(args.workers) as base_url:
        browser = Browser(base_url)
        for label, path in pages:
            for _ in range(args.warmup):
                browser.page(path)
            times = timed(lambda _i, path=path: browser.page(path), args.requests)
            print(row(label, times, TARGET_PAGE_MS))
        floor = Browser(base_url)
        for _ in range(args.warmup):
            floor.page("/accounts/login/")
        times = timed(lambda _i: floor.page("/accounts/login/"), args.requests)
        print(row("HTTP floor (sign-in page)", times, TARGET_PAGE_MS))
    print(
        f"\nTargets: in process p95 under {TARGET_IN_PROCESS_MS:.0f} ms, pages p95 under "
        f"{TARGET_PAGE_MS:.0f} ms. CPU/call: the mean CPU time of this process and its "
        f"PostgreSQL backend per call (10 ms clock ticks, over all runs). "
        f"Load average after: {load()}"
    )


def in_process(args) -> None:
    from helpcenter.search import search_articles, suggest_articles

    for kind, queries in SEARCHES.items():
        for language in ("en", "zh"):
            results = []

            def call(index, queries=queries, language=language, results=results):
                results.append(len(search_articles(queries[index % len(queries)],
                                                   language=language).hits))  # fmt: skip

            times = timed(call, args.runs, cpu=True)
            hits = f"hits {min(results)}–{max(results)}"
            print(row(f"search {kind} [{language}]", times, TARGET_IN_PROCESS_MS, hits))
    for language in ("en", "zh"):

        def suggest(index, language=language):
            text, category = SUGGESTIONS[index % len(SUGGESTIONS)]
            suggest_articles(text, language=language, category=category)

        times = timed(suggest, args.runs, cpu=True)
        print(row(f"suggest [{language}]", times, TARGET_IN_PROCESS_MS))


if __name__ == "__main__":
    main()

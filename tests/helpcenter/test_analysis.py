"""The analyser every search shares: Chinese as bigrams, words, identifiers whole and in parts."""

from helpcenter.analysis import analyse, indexed_text, lexemes, parse_query, tsvector


def texts(text):
    return [term.text for term in analyse(text)]


def test_a_chinese_run_becomes_overlapping_bigrams():
    assert texts("提现未到账") == ["提现", "现未", "未到", "到账"]


def test_a_lone_chinese_character_stays_itself():
    assert texts("币") == ["币"]


def test_mixed_text_keeps_words_and_bigrams_in_order():
    assert texts("USDT 提现未到账, please help") == [
        "usdt",
        "提现",
        "现未",
        "未到",
        "到账",
        "please",
        "help",
    ]


def test_full_width_forms_fold_to_ascii():
    assert texts("ＵＳＤＴ") == ["usdt"]


def test_english_stopwords_go_and_plurals_fold():
    assert texts("The fees of my withdrawals") == ["fee", "withdrawal"]


def test_identifiers_are_kept_whole_beside_their_parts():
    terms = analyse("RD-7K3M-Q9XP lin.wei@example.com")
    assert lexemes(terms) == [
        "rd-7k3m-q9xp", "rd", "7k3m", "q9xp",
        "lin.wei@example.com", "lin", "wei", "example", "com",
    ]  # fmt: skip


def test_the_same_function_builds_the_index_and_the_query():
    assert indexed_text("冻结账户") == "冻结 结账 账户"
    assert parse_query("冻结账户").tsquery() == "'冻结' & '结账' & '账户'"
    assert parse_query("冻结账户").fts5() == '"冻结" AND "结账" AND "账户"'


def test_a_compound_matches_whole_or_by_all_its_parts():
    assert parse_query("7K3M-Q9XP").tsquery() == "('7k3m-q9xp' | ('7k3m' & 'q9xp'))"


def test_any_mode_and_the_last_word_as_a_prefix():
    query = parse_query("usdt withdraw", match_all=False, prefix_last=True)
    assert query.tsquery() == "'usdt' | 'withdraw':*"
    assert query.fts5() == '"usdt" OR "withdraw" *'


def test_a_tsvector_literal_carries_weights_and_positions():
    assert tsvector([("Fee", "A"), ("fee 到账", "B")]) == "'fee':1A,2B '到账':3B"


def test_a_compound_being_typed_ends_in_a_prefix_of_its_last_part():
    query = parse_query("7K3M-Q9", prefix_last=True)
    assert query.tsquery() == "('7k3m-q9':* | ('7k3m' & 'q9':*))"

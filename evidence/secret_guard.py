"""Refuse customer text that holds a wallet or account secret.

Scammers who pose as exchange support talk customers into pasting their
recovery phrase, a private key, an API secret or a one-time code. Every piece
of text a customer submits passes through `find_secret()` before it is stored,
and a submission holding a secret is refused with the text of `explain()`.

A `SecretMatch` carries only the kind of secret, never the text, nor where it
sits: a secret that reached an exception message, a log line, an error response
or an audit event would be stored after all, and a span or the matched string
is one careless f-string away from doing exactly that. For the same reason
nothing here logs.

Every rule trades missed secrets against refused honest complaints, and a
refused complaint is a customer who cannot reach us. So each rule needs
evidence beyond "long random-looking string": a checksum (WIF keys), a run of
wordlist words denser than prose ever is (recovery phrases, measured on complaint
text in both languages in the tests), an unmistakable prefix (extended keys, PEM
blocks), or a label
nearby that names the secret and is nearer than any label naming something a
customer should send us (a transaction hash, an address, an order number).
"""

import hashlib
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from mnemonic import Mnemonic


class SecretKind(models.TextChoices):
    SEED_PHRASE = "seed_phrase", _("Wallet recovery phrase")
    PRIVATE_KEY = "private_key", _("Private key")
    EXTENDED_PRIVATE_KEY = "extended_private_key", _("Extended private key")
    API_SECRET = "api_secret", _("API key or secret")
    ONE_TIME_CODE = "one_time_code", _("One-time security code")


@dataclass(frozen=True)
class SecretMatch:
    kind: SecretKind


def find_secret(text: str) -> SecretMatch | None:
    # NFKC folds full-width digits, letters and colons, which Chinese input
    # methods produce, into the ASCII forms the rules below look for.
    normalized = unicodedata.normalize("NFKC", text)
    for detect in _DETECTORS:
        kind = detect(normalized)
        if kind is not None:
            return SecretMatch(kind=kind)
    return None


def refuse_secrets(texts: Mapping[str, Any]) -> None:
    """Raise a field-keyed ValidationError if any text holds a secret; nothing of it is kept.

    Every door (web, API, chat, mail) calls this on what a customer wrote before storing it.
    """
    errors = {}
    for name, text in texts.items():
        if isinstance(text, str) and text:
            match = find_secret(text)
            if match:
                errors[name] = ValidationError(explain(match.kind), code="secret")
    if errors:
        raise ValidationError(errors)


def explain(kind: SecretKind | str) -> str:
    explanations = {
        SecretKind.SEED_PHRASE: gettext(
            "This looks like a wallet recovery phrase (seed phrase). Anyone who has it "
            "can take your funds. We never need it: remove it and send your message "
            "again. If you have shared it anywhere, move your funds to a new wallet now."
        ),
        SecretKind.PRIVATE_KEY: gettext(
            "This looks like a wallet private key. Anyone who has it can take the funds "
            "in that wallet. We never need it: remove it and send your message again. "
            "If you have shared it anywhere, move your funds to a new wallet now."
        ),
        SecretKind.EXTENDED_PRIVATE_KEY: gettext(
            "This looks like an extended private key (it starts with “xprv”, “yprv”, "
            "“zprv” or similar). It unlocks every address in your wallet, so anyone who "
            "has it can take all your funds. We never need it: remove it and send your "
            "message again. If you have shared it anywhere, move your funds to a new "
            "wallet now."
        ),
        SecretKind.API_SECRET: gettext(
            "This looks like an API key or API secret. With it, someone can trade on "
            "your account and sometimes withdraw from it. We never need it: remove it "
            "and send your message again. If you have shared it anywhere, delete that "
            "API key in your account settings now and create a new one if you need it."
        ),
        SecretKind.ONE_TIME_CODE: gettext(
            "This looks like a one-time security code (a 2FA, authenticator, SMS or "
            "email verification code). Our staff never ask for these codes, and anyone "
            "who does is not us. Remove it and send your message again. If you have "
            "given a code to someone, change your password now and check your account "
            "for withdrawals and API keys you do not recognise."
        ),
    }
    return explanations[SecretKind(kind)]


# --- Recovery phrases (BIP-39) ----------------------------------------------

_PHRASE_LENGTHS = (12, 15, 18, 21, 24)
_ENGLISH_WORDS = {word: index for index, word in enumerate(Mnemonic("english").wordlist)}
_CHINESE_WORDS = {word: index for index, word in enumerate(Mnemonic("chinese_simplified").wordlist)}
# Digits are tokens of their own so that numbering ("1.", "(2)", "#3", "4-")
# can be skipped without joining the words around it.
_TOKEN = re.compile(r"[A-Za-z]+|[\u3400-\u4dbf\u4e00-\u9fff]+|[0-9]+")

# A phrase with one word left out or one word wrong fails its checksum, yet it is as
# good as whole to a thief: trying 2,048 words in each place takes a laptop seconds. So a
# dense run of wordlist words is refused without a checksum: 11 of any 12 consecutive
# words, 10 of them different (numbering is skipped; "abandon abandon …" is not a phrase).
# Complaint prose never comes near: in the 233 English complaints of the tests the most
# wordlist words in any 12 consecutive words is 7, because the words prose is held together
# with ("the", "to", "my", "of", "is", "and", "was", "not") are not in the list.
_RUN_WINDOW = 12
_RUN_WORDS = 11
_RUN_DISTINCT = 10


class _WordRun:
    """The words of one wordlist as they come: a consecutive run, and the last twelve."""

    def __init__(self) -> None:
        self.run: list[int] = []
        self.recent: deque[int | None] = deque(maxlen=_RUN_WINDOW)

    def add(self, index: int | None) -> bool:
        """Take the next word's index (None: not a wordlist word); True if a phrase is seen."""
        self.recent.append(index)
        if index is None:
            found = _run_holds_phrase(self.run)
            self.run = []
            return found
        self.run.append(index)
        words = [i for i in self.recent if i is not None]
        return len(words) >= _RUN_WORDS and len(set(words)) >= _RUN_DISTINCT

    def end(self) -> bool:
        return _run_holds_phrase(self.run)


def _seed_phrase(text: str) -> SecretKind | None:
    english, spaced_chinese = _WordRun(), _WordRun()
    labels: list[int] | None = None
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token.isdigit():
            continue
        found = english.add(_ENGLISH_WORDS.get(token.lower()))
        found = spaced_chinese.add(_CHINESE_WORDS.get(token)) or found
        if not found and len(token) >= _RUN_WORDS and not token.isascii():
            if labels is None:
                labels = [label.end() for label in _SEED_LABEL.finditer(text)]
            found = _holds_unspaced_chinese_phrase(token, match.start(), labels)
        if found:
            return SecretKind.SEED_PHRASE
    if english.end() or spaced_chinese.end():
        return SecretKind.SEED_PHRASE
    return None


def _checksum_holds(indices: Sequence[int]) -> bool:
    length = len(indices)
    checksum_bits = length // 3
    value = 0
    for index in indices:
        value = (value << 11) | index
    entropy = (value >> checksum_bits).to_bytes(length * 4 // 3, "big")
    checksum = hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)
    return checksum == value & ((1 << checksum_bits) - 1)


def _run_holds_phrase(indices: Sequence[int]) -> bool:
    for length in _PHRASE_LENGTHS:
        if length > len(indices):
            break
        checksum_bits = length // 3
        checksum_mask = (1 << checksum_bits) - 1
        entropy_size = length * 4 // 3
        # A rolling window keeps each step constant-time, so a long run of
        # wordlist words costs linear time rather than run x window.
        window_mask = (1 << (11 * length)) - 1
        window = 0
        # A random run passes within a few dozen windows; only repetitive text
        # makes a long run that never does, and there a window once checked
        # comes back again and again.
        checked: set[int] = set()
        for position, index in enumerate(indices):
            window = ((window << 11) | index) & window_mask
            if position + 1 < length or window in checked:
                continue
            checked.add(window)
            entropy = (window >> checksum_bits).to_bytes(entropy_size, "big")
            if hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits) == window & checksum_mask:
                return True
    return False


# Chinese is written without spaces, and nearly every character of Chinese prose is in the
# wordlist (its 2,048 words are the 2,048 most common characters, most common first), so
# a phrase written the Chinese way is a stretch of wordlist characters inside a longer
# stretch of them, and its checksum alone would refuse one prose clause in sixteen. What
# sets a phrase apart is where its characters rank: drawn uniformly, their average rank is
# about 1,024, while prose is made of the commonest characters. In the 245 Chinese
# complaints and 2,512 Chinese interface strings measured for the tests, 9 of 1,120
# twelve-character windows average 650 or more, 1 averages 800 or more, none 900.
#
# So stretches are segmented against the wordlist and windows tested where a phrase sits:
# - at either end of a stretch (the phrase alone, or glued to the words before or after
#   it, as "我的助记词是…"), or right after a word naming a recovery phrase: a valid
#   checksum and an average rank of 650 or more;
# - anywhere inside a stretch (glued on both sides): a valid checksum and 800 or more;
# - without a valid checksum (a word left out or wrong), at either end of a stretch:
#   900 or more, or 700 or more right after a word naming a recovery phrase; and nearly
#   every character different, as in a drawn phrase.
_SEED_LABEL = re.compile("助记|种子|恢复短语|恢复词|密语|钱包短语|备份短语")
_LABEL_REACH_CHINESE = 8
_RANK_ANCHORED = 650
_RANK_INSIDE = 800
_RANK_UNCHECKED = 900
_RANK_UNCHECKED_LABELLED = 700
_LONGEST_PHRASE = _PHRASE_LENGTHS[-1]


def _holds_unspaced_chinese_phrase(token: str, offset: int, labels: Sequence[int]) -> bool:
    """Does this run of Chinese characters (at `offset` in the text) hold a phrase?"""
    stretch: list[int] = []
    start = 0
    for position, character in enumerate([*token, ""]):
        index = _CHINESE_WORDS.get(character)
        if index is not None:
            if not stretch:
                start = offset + position
            stretch.append(index)
            continue
        if len(stretch) >= _RUN_WORDS and _stretch_holds_phrase(stretch, start, labels):
            return True
        stretch = []
    return False


def _stretch_holds_phrase(stretch: list[int], start: int, labels: Sequence[int]) -> bool:
    size = len(stretch)
    totals = [0]
    for index in stretch:
        totals.append(totals[-1] + index)

    def rank(begin: int, length: int) -> float:
        return (totals[begin + length] - totals[begin]) / length

    def drawn(begin: int, length: int) -> bool:
        return len(set(stretch[begin : begin + length])) >= length - 1

    # Where a phrase may begin: the stretch's start, and just after each label inside it.
    beginnings = [(0, any(0 <= start - end <= _LABEL_REACH_CHINESE for end in labels))]
    beginnings += [(end - start, True) for end in labels if start < end < start + size]
    for begin, labelled in beginnings:
        room = size - begin
        for length in _PHRASE_LENGTHS:
            if (
                length <= room
                and rank(begin, length) >= _RANK_ANCHORED
                and _checksum_holds(stretch[begin : begin + length])
            ):
                return True
        threshold = _RANK_UNCHECKED_LABELLED if labelled else _RANK_UNCHECKED
        for length in range(_RUN_WORDS, min(room, _LONGEST_PHRASE) + 1):
            if rank(begin, length) >= threshold and drawn(begin, length):
                return True
    # A phrase that ends where the stretch ends.
    for length in _PHRASE_LENGTHS:
        begin = size - length
        if begin > 0 and rank(begin, length) >= _RANK_ANCHORED and _checksum_holds(stretch[begin:]):
            return True
    for length in range(_RUN_WORDS, min(size, _LONGEST_PHRASE) + 1):
        begin = size - length
        if rank(begin, length) >= _RANK_UNCHECKED and drawn(begin, length):
            return True
    # A phrase glued on both sides.
    for length in _PHRASE_LENGTHS:
        for begin in range(1, size - length):
            if rank(begin, length) >= _RANK_INSIDE and _checksum_holds(
                stretch[begin : begin + length]
            ):
                return True
    return False


# --- Base58 -------------------------------------------------------------------

_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_VALUES = {character: value for value, character in enumerate(_BASE58_ALPHABET)}


def _base58check_payload(encoded: str) -> bytes | None:
    number = 0
    for character in encoded:
        value = _BASE58_VALUES.get(character)
        if value is None:
            return None
        number = number * 58 + value
    leading_zeros = len(encoded) - len(encoded.lstrip("1"))
    raw = bytes(leading_zeros) + number.to_bytes((number.bit_length() + 7) // 8, "big")
    if len(raw) < 5:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


# --- Keys found by their shape alone ------------------------------------------

_B58 = "1-9A-HJ-NP-Za-km-z"
_NOT_AFTER_ALNUM = "(?<![A-Za-z0-9])"
_NOT_BEFORE_ALNUM = "(?![A-Za-z0-9])"

# A mistyped or slightly truncated extended key fails its checksum yet still
# gives away the wallet: trying every single-character fix is instant. So the
# shape is enough, and the public forms (xpub, ypub, zpub…) never match it.
_EXTENDED_PRIVATE_KEY = re.compile(rf"{_NOT_AFTER_ALNUM}[xyztuvYZUV]prv[{_B58}]{{100,}}")


def _extended_private_key(text: str) -> SecretKind | None:
    if _EXTENDED_PRIVATE_KEY.search(text):
        return SecretKind.EXTENDED_PRIVATE_KEY
    return None


# Coinbase and other exchanges issue API keys as PEM private keys.
_PEM_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


def _pem_private_key(text: str) -> SecretKind | None:
    if _PEM_PRIVATE_KEY.search(text):
        return SecretKind.API_SECRET
    return None


_WIF_CANDIDATE = re.compile(rf"{_NOT_AFTER_ALNUM}[5KL9c][{_B58}]{{50,51}}{_NOT_BEFORE_ALNUM}")
_WIF_VERSIONS = (0x80, 0xEF)


def _wif_private_key(text: str) -> SecretKind | None:
    for candidate in _WIF_CANDIDATE.finditer(text):
        payload = _base58check_payload(candidate.group())
        if payload is None or payload[0] not in _WIF_VERSIONS:
            continue
        uncompressed = len(payload) == 33
        compressed = len(payload) == 34 and payload[-1] == 0x01
        if uncompressed or compressed:
            return SecretKind.PRIVATE_KEY
    return None


# --- Keys found by a label beside them ----------------------------------------

_LABEL_REACH = 40


def _english_labels(*alternatives: str) -> str:
    return f"{_NOT_AFTER_ALNUM}(?:{'|'.join(alternatives)}){_NOT_BEFORE_ALNUM}"


_SEP = r"[\s_-]*"
_PRIVATE_KEY_LABEL = re.compile(
    "|".join(
        (
            _english_labels(rf"(?:(?:private|priv){_SEP})?keys?", r"secrets?"),
            "私钥|密钥|秘钥",
        )
    ),
    re.IGNORECASE,
)
_API_SECRET_LABEL = re.compile(
    "|".join(
        (
            _english_labels(rf"api{_SEP}(?:secret|key)s?", rf"secret{_SEP}keys?"),
            rf"{_NOT_AFTER_ALNUM}api\s*(?:密钥|秘钥|私钥)",
        )
    ),
    re.IGNORECASE,
)
# Things a complaint legitimately quotes; when one of these labels is nearer a
# string than any secret label, the string is what that label says it is.
_INNOCENT_LABEL = re.compile(
    "|".join(
        (
            _english_labels(
                rf"tx{_SEP}(?:id|hash|n)?",
                r"txid",
                r"hash(?:es)?",
                r"transactions?",
                r"addr(?:ess)?(?:es)?",
                r"orders?",
                r"uid",
                r"user\s*id",
                r"tickets?",
            ),
            "交易|哈希|地址|订单|用户id|工单",
        )
    ),
    re.IGNORECASE,
)


class _LabelPositions:
    """Where one kind of label occurs, searchable by distance to a span."""

    def __init__(self, pattern: re.Pattern[str], text: str) -> None:
        spans = [match.span() for match in pattern.finditer(text)]
        self.starts = [start for start, _end in spans]
        self.ends = [end for _start, end in spans]

    def distance(self, start: int, end: int) -> int | None:
        nearest: int | None = None
        before = bisect_right(self.ends, start) - 1
        if before >= 0:
            nearest = start - self.ends[before]
        after = bisect_left(self.starts, end)
        if after < len(self.starts):
            gap = self.starts[after] - end
            nearest = gap if nearest is None else min(nearest, gap)
        if nearest is None or nearest > _LABEL_REACH:
            return None
        return nearest


def _labelled_as_secret(
    span: tuple[int, int], secret: _LabelPositions, innocent: _LabelPositions
) -> int | None:
    """The distance to the nearest secret label, if no innocent label is nearer."""
    secret_distance = secret.distance(*span)
    if secret_distance is None:
        return None
    innocent_distance = innocent.distance(*span)
    if innocent_distance is not None and innocent_distance < secret_distance:
        return None
    return secret_distance


_HEX_KEY = re.compile(rf"{_NOT_AFTER_ALNUM}(?:0[xX])?[0-9a-fA-F]{{64}}{_NOT_BEFORE_ALNUM}")


def _labelled_private_key(text: str) -> SecretKind | None:
    # 64 hex characters are as often a transaction hash as a private key, so
    # only the words around them can tell the two apart. A WIF-shaped string
    # whose checksum fails is either a mistyped key (still a leak: one wrong
    # character is quickly found by trying them all) or something else, such
    # as another chain's transaction id; again the words decide.
    candidates = [
        match.span() for pattern in (_HEX_KEY, _WIF_CANDIDATE) for match in pattern.finditer(text)
    ]
    if not candidates:
        return None
    private_key_labels = _LabelPositions(_PRIVATE_KEY_LABEL, text)
    api_labels = _LabelPositions(_API_SECRET_LABEL, text)
    innocent_labels = _LabelPositions(_INNOCENT_LABEL, text)
    for span in candidates:
        api_distance = _labelled_as_secret(span, api_labels, innocent_labels)
        key_distance = _labelled_as_secret(span, private_key_labels, innocent_labels)
        # "API key" also holds the private-key label "key" at the same
        # distance; the longer, more specific label names the secret.
        if api_distance is not None and (key_distance is None or api_distance <= key_distance):
            return SecretKind.API_SECRET
        if key_distance is not None:
            return SecretKind.PRIVATE_KEY
    return None


_API_SECRET_CANDIDATE = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{32,}={0,2}(?![A-Za-z0-9+/=])")
_HEX_WITH_PREFIX = re.compile(r"0[xX][0-9a-fA-F]+")
_BECH32_ADDRESS = re.compile(r"(?:bc|tb|ltc|bcrt)1[ac-hj-np-z02-9]+")
_LONGEST_BASE58_ADDRESS = 64
_DIGIT = re.compile(r"[0-9]")
_LETTER = re.compile(r"[A-Za-z]")


def _api_secret(text: str) -> SecretKind | None:
    api_labels = _LabelPositions(_API_SECRET_LABEL, text)
    if not api_labels.starts:
        return None
    innocent_labels = _LabelPositions(_INNOCENT_LABEL, text)
    for candidate in _API_SECRET_CANDIDATE.finditer(text):
        value = candidate.group()
        # Generated secrets mix letters and digits; long words and paths
        # rarely do. Addresses and hashes are what complaints are made of.
        if not (_DIGIT.search(value) and _LETTER.search(value)):
            continue
        if _HEX_WITH_PREFIX.fullmatch(value) or _BECH32_ADDRESS.fullmatch(value):
            continue
        # Decoding is quadratic in length, and no address is longer than this.
        if len(value) <= _LONGEST_BASE58_ADDRESS and _base58check_payload(value) is not None:
            continue
        if _labelled_as_secret(candidate.span(), api_labels, innocent_labels) is not None:
            return SecretKind.API_SECRET
    return None


# --- One-time codes -----------------------------------------------------------

_CODE_REACH = 25
_ONE_TIME_CODE_LABEL = re.compile(
    "|".join(
        (
            _english_labels(
                r"2fa",
                r"mfa",
                r"t?otp",
                r"two[\s-]*factor",
                r"authenticator",
                r"(?:verification|security|sms|email|auth)\s*code",
            ),
            "验证码|谷歌验证|动态码",
        )
    ),
    re.IGNORECASE,
)
# Authenticator apps show six digits as "123 456", and people copy it so.
_CODE_NUMBER = re.compile(
    r"(?<![0-9.,$¥€£])(?:[0-9]{6,8}|[0-9]{3}[ -][0-9]{3}(?![ -]?[0-9]))(?![0-9]|[.,][0-9])"
)
_AMOUNT_UNIT = re.compile(
    r"\s*(?:(?:usdt|usdc|busd|dai|btc|eth|bnb|trx|sol|xrp|doge|ltc|ton|usd|eur|cny|rmb|u)"
    rf"{_NOT_BEFORE_ALNUM}|元|美元|块|刀|%)",
    re.IGNORECASE,
)
_DATE = re.compile(r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])")


def _one_time_code(text: str) -> SecretKind | None:
    for label in _ONE_TIME_CODE_LABEL.finditer(text):
        # The numbers searched must start within reach; the few characters
        # after that let a number there be read whole.
        search_end = label.end() + _CODE_REACH + 16
        for number in _CODE_NUMBER.finditer(text, label.end(), search_end):
            if number.start() - label.end() > _CODE_REACH:
                break
            if _INNOCENT_LABEL.search(text, label.end(), number.start()):
                break
            if _AMOUNT_UNIT.match(text, number.end()) or _DATE.fullmatch(number.group()):
                continue
            return SecretKind.ONE_TIME_CODE
    return None


_DETECTORS: tuple[Callable[[str], SecretKind | None], ...] = (
    _seed_phrase,
    _extended_private_key,
    _pem_private_key,
    _wif_private_key,
    _labelled_private_key,
    _api_secret,
    _one_time_code,
)

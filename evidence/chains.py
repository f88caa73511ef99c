"""How transaction hashes and wallet addresses look on each family of networks.

Customers paste TxIDs and addresses from wallets and exchange histories. A
mistyped character or the wrong network is the usual reason a complaint stalls,
so we check them when the ticket is filed and say what a right one looks like,
instead of staff finding out days later that the hash leads nowhere.

Everything here is pure Python on purpose: base58, bech32 and Keccak are short,
stable algorithms, and a handful of lines is cheaper than another dependency.
"""

import hashlib
import re
from collections.abc import Callable
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ChainFamily(models.TextChoices):
    EVM = "evm", _("EVM (Ethereum, BNB Smart Chain, Polygon, Arbitrum, …)")
    BITCOIN = "bitcoin", _("Bitcoin")
    LITECOIN = "litecoin", _("Litecoin")
    DOGECOIN = "dogecoin", _("Dogecoin")
    TRON = "tron", _("TRON")
    SOLANA = "solana", _("Solana")
    XRP = "xrp", _("XRP Ledger")


def normalize_txid(family: str, value: str, *, network: str = "") -> str:
    """Return the transaction hash in the form we store, or explain what is wrong.

    `network` is the display name the customer chose (e.g. "Ethereum"); it makes
    the message name what they picked rather than the format family.
    Raises ValueError for an unknown family: that is a bug, not bad input.
    """
    chain = ChainFamily(family)
    text = value.strip()
    try:
        _check_not_huge(text, "txid_format")
        return _TXID_FORMATS[chain](text)
    except _Problem as problem:
        raise _invalid(_TXID_SHAPES[chain], problem, network or chain.label) from None


def normalize_address(family: str, value: str, *, network: str = "") -> str:
    """Return the wallet address in the form we store, or explain what is wrong.

    When the address is fine on another family (a Bitcoin address given for
    TRON, say), the message says so: picking the wrong network is the mistake
    customers make most, and it is what decides whether funds can be traced.
    Raises ValueError for an unknown family: that is a bug, not bad input.
    """
    chain = ChainFamily(family)
    text = value.strip()
    try:
        _check_not_huge(text, "address_format")
        return _ADDRESS_FORMATS[chain](text)
    except _Problem as problem:
        shape = _ADDRESS_SHAPES[chain]
        network = network or chain.label
        others = [
            str(other.label) for other in ChainFamily if other != chain and _is_address(other, text)
        ]
        if others:
            hint = _Problem(
                gettext(
                    "This one looks like an address on %(other)s. Check that you chose "
                    "the network the transfer actually used."
                ),
                "address_network",
                other=", ".join(others),
            )
            raise _invalid(shape, hint, network) from None
        raise _invalid(shape, problem, network) from None


def looks_like_txid(value: str) -> bool:
    """Whether the value has the shape of a transaction hash on any family.

    This only judges shape. A raw private key is also 64 hexadecimal characters,
    and a Solana keypair is also 64 bytes of base58, so True does not prove the
    value is harmless; it tells a likely TxID from free text.
    """
    text = value.strip()
    for family in ChainFamily:
        try:
            _check_not_huge(text, "txid_format")
            _TXID_FORMATS[family](text)
        except _Problem:
            continue
        return True
    return False


def explorer_url(template: str, **values: str) -> str:
    """Fill "{txid}" / "{address}" in an admin-entered explorer link.

    Plain replacement instead of str.format: the template is admin input, and
    format() would evaluate "{txid.__class__}" or fail on any other brace. The
    values are URL-quoted so pasted text cannot add a path, query or fragment.
    """
    if not template:
        return ""
    url = template
    for name, value in values.items():
        url = url.replace("{" + name + "}", quote(str(value), safe=""))
    return url


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum uses it (EIP-55 checksums).

    hashlib.sha3_256 is not the same function: SHA-3 pads with 0x06, the
    original Keccak that Ethereum adopted pads with 0x01.
    """
    rate = 136
    padded = bytearray(data) + b"\x01" + bytes(-(len(data) + 1) % rate)
    padded[-1] |= 0x80
    lanes = [0] * 25
    for start in range(0, len(padded), rate):
        for i in range(rate // 8):
            lanes[i] ^= int.from_bytes(padded[start + 8 * i : start + 8 * i + 8], "little")
        _keccak_f1600(lanes)
    return b"".join(lane.to_bytes(8, "little") for lane in lanes[:4])


# --- Messages -----------------------------------------------------------------
# Each message is the family's shape (one sentence) followed by the problem (one
# sentence), so a translator sees whole sentences and the customer sees both
# what is expected and what is wrong with what they typed.

_TXID_SHAPES = {
    ChainFamily.EVM: _(
        "A transaction hash on %(network)s is 0x followed by 64 hexadecimal characters (0-9, a-f)."
    ),
    ChainFamily.BITCOIN: _(
        "A transaction hash on %(network)s is 64 hexadecimal characters (0-9, a-f), "
        "with no 0x in front."
    ),
    ChainFamily.LITECOIN: _(
        "A transaction hash on %(network)s is 64 hexadecimal characters (0-9, a-f), "
        "with no 0x in front."
    ),
    ChainFamily.DOGECOIN: _(
        "A transaction hash on %(network)s is 64 hexadecimal characters (0-9, a-f), "
        "with no 0x in front."
    ),
    ChainFamily.TRON: _(
        "A transaction hash on %(network)s is 64 hexadecimal characters (0-9, a-f)."
    ),
    ChainFamily.SOLANA: _(
        "A transaction signature on %(network)s is 87 or 88 base58 characters "
        "(letters and digits except 0, O, I and l)."
    ),
    ChainFamily.XRP: _(
        "A transaction hash on %(network)s is 64 hexadecimal characters (0-9, A-F)."
    ),
}

_ADDRESS_SHAPES = {
    ChainFamily.EVM: _(
        "An address on %(network)s is 0x followed by 40 hexadecimal characters (0-9, a-f)."
    ),
    ChainFamily.BITCOIN: _("An address on %(network)s starts with bc1, 1 or 3."),
    ChainFamily.LITECOIN: _("An address on %(network)s starts with ltc1, L, M or 3."),
    ChainFamily.DOGECOIN: _("An address on %(network)s starts with D, A or 9."),
    ChainFamily.TRON: _("An address on %(network)s starts with T and is 34 characters long."),
    ChainFamily.SOLANA: _(
        "An address on %(network)s is 32 to 44 base58 characters "
        "(letters and digits except 0, O, I and l)."
    ),
    ChainFamily.XRP: _("An address on %(network)s starts with r and is 25 to 35 characters long."),
}


class _Problem(Exception):
    """What is wrong with a value, before it is put in the network's terms."""

    def __init__(self, message: str, code: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.params = params


def _invalid(shape: str, problem: _Problem, network: str) -> ValidationError:
    # Placeholders stay unfilled so callers (the API) get code and params too.
    return ValidationError(
        f"{shape} {problem.message}",
        code=problem.code,
        params={"network": str(network), **problem.params},
    )


def _empty(code: str) -> _Problem:
    return _Problem(gettext("Nothing was entered."), code)


def _bad_character(char: str, kind: str, code: str) -> _Problem:
    if char.isspace():
        return _Problem(
            gettext("This one contains a space or line break; paste it as one unbroken line."),
            code,
        )
    shown = char if char.isprintable() else f"U+{ord(char):04X}"
    messages = {
        "hex": gettext("This one contains “%(char)s”, which is not a hexadecimal character."),
        "base58": gettext("This one contains “%(char)s”, which base58 does not use."),
        "bech32": gettext("This one contains “%(char)s”, which these addresses never use."),
    }
    return _Problem(messages[kind], code, char=shown)


# Longer than any hash or address we accept (bech32 tops out at 90). Checked
# before decoding, because base58 decoding takes time quadratic in the length.
_LONGEST = 100


def _check_not_huge(text: str, code: str) -> None:
    if len(text) > _LONGEST:
        raise _Problem(gettext("This one has %(count)s characters."), code, count=len(text))


def _first_outside(text: str, allowed: str) -> str | None:
    return next((char for char in text if char not in allowed), None)


def _opening(text: str) -> str:
    """The part of a wrong prefix worth quoting back: "0x", "tb1", or one character."""
    match = re.match(r"0x|[a-z]{1,4}1", text, re.IGNORECASE)
    return match.group() if match else text[:1]


def _wrong_start(text: str) -> _Problem:
    return _Problem(
        gettext("This one starts with “%(start)s”."), "address_format", start=_opening(text)
    )


def _checksum_mismatch() -> _Problem:
    return _Problem(
        gettext(
            "Its built-in checksum does not match, so a character was probably mistyped "
            "or left out. Copy the address again instead of typing it."
        ),
        "address_checksum",
    )


def _wrong_length(count: int) -> _Problem:
    return _Problem(gettext("This one has %(count)s characters."), "address_format", count=count)


def _garbled() -> _Problem:
    return _Problem(
        gettext(
            "This one has the right characters but is not a valid address: a character "
            "may be missing, extra or mistyped."
        ),
        "address_format",
    )


# --- Transaction hashes -------------------------------------------------------

_HEX = "0123456789abcdefABCDEF"


def _hex_digits(body: str, length: int, *, after_0x: bool) -> None:
    char = _first_outside(body, _HEX)
    if char is not None:
        raise _bad_character(char, "hex", "txid_format")
    if len(body) == length:
        return
    if len(body) == 40:
        message = gettext(
            "This one has 40 characters, the length of a wallet address, not of a transaction hash."
        )
    elif after_0x:
        message = gettext("This one has %(count)s characters after 0x.")
    else:
        message = gettext("This one has %(count)s characters.")
    raise _Problem(message, "txid_format", count=len(body))


def _split_0x(text: str) -> tuple[bool, str]:
    if text[:2] in ("0x", "0X"):
        return True, text[2:]
    return False, text


def _evm_txid(text: str) -> str:
    if not text:
        raise _empty("txid_format")
    prefixed, body = _split_0x(text)
    _hex_digits(body, 64, after_0x=prefixed)
    return "0x" + body.lower()


def _utxo_txid(text: str) -> str:
    if not text:
        raise _empty("txid_format")
    if _split_0x(text)[0]:
        # Hashes on these chains never carry 0x; one that does was almost always
        # copied from an EVM chain, so say so rather than quietly strip it.
        raise _Problem(
            gettext(
                "This one starts with 0x, like hashes on Ethereum and other EVM networks. "
                "Check that you chose the network the transfer actually used."
            ),
            "txid_format",
        )
    _hex_digits(text, 64, after_0x=False)
    return text.lower()


def _tron_txid(text: str) -> str:
    if not text:
        raise _empty("txid_format")
    # Some TRON tools print the hash with 0x; TronScan and the APIs do not.
    prefixed, body = _split_0x(text)
    _hex_digits(body, 64, after_0x=prefixed)
    return body.lower()


def _xrp_txid(text: str) -> str:
    return _utxo_txid(text).upper()


def _solana_txid(text: str) -> str:
    if not text:
        raise _empty("txid_format")
    char = _first_outside(text, _BASE58)
    if char is not None:
        raise _bad_character(char, "base58", "txid_format")
    if len(_base58_decode(text, _BASE58)) == 64:
        return text
    if len(text) in (87, 88):
        raise _Problem(
            gettext(
                "This one has the right length but is not a valid signature: a character "
                "may be mistyped."
            ),
            "txid_format",
        )
    raise _Problem(gettext("This one has %(count)s characters."), "txid_format", count=len(text))


_TXID_FORMATS: dict[ChainFamily, Callable[[str], str]] = {
    ChainFamily.EVM: _evm_txid,
    ChainFamily.BITCOIN: _utxo_txid,
    ChainFamily.LITECOIN: _utxo_txid,
    ChainFamily.DOGECOIN: _utxo_txid,
    ChainFamily.TRON: _tron_txid,
    ChainFamily.SOLANA: _solana_txid,
    ChainFamily.XRP: _xrp_txid,
}


# --- Addresses ----------------------------------------------------------------


def _evm_address(text: str) -> str:
    if not text:
        raise _empty("address_format")
    prefixed, body = _split_0x(text)
    char = _first_outside(body, _HEX)
    if char is not None:
        raise _bad_character(char, "hex", "address_format")
    if len(body) != 40:
        if len(body) == 64:
            message = gettext(
                "This one has 64 characters, the length of a transaction hash, not of an address."
            )
        elif prefixed:
            message = gettext("This one has %(count)s characters after 0x.")
        else:
            message = gettext("This one has %(count)s characters.")
        raise _Problem(message, "address_format", count=len(body))
    # EIP-55: in a mixed-case address the capitals are a checksum. All-lower or
    # all-upper addresses carry none, and wallets still show them that way.
    if body != body.lower() and body != body.upper() and body != _eip55(body):
        raise _Problem(
            gettext(
                "Its mix of capital and small letters is a checksum (EIP-55), and it does "
                "not match, so a character was probably mistyped. Copy the address again "
                "instead of typing it."
            ),
            "address_checksum",
        )
    return "0x" + body


def _eip55(body: str) -> str:
    lower = body.lower()
    digest = keccak256(lower.encode("ascii")).hex()
    return "".join(
        char.upper() if int(digest[i], 16) >= 8 else char for i, char in enumerate(lower)
    )


def _utxo_address(
    text: str, *, segwit_hrp: str | None, starts: str, versions: frozenset[int]
) -> str:
    if not text:
        raise _empty("address_format")
    if segwit_hrp and text.lower().startswith(segwit_hrp + "1"):
        return _segwit_address(text, segwit_hrp)
    if text[0] not in starts:
        raise _wrong_start(text)
    return _base58check_address(text, alphabet=_BASE58, versions=versions)


def _tron_address(text: str) -> str:
    if not text:
        raise _empty("address_format")
    if text[0] != "T":
        raise _wrong_start(text)
    if len(text) != 34:
        raise _wrong_length(len(text))
    return _base58check_address(text, alphabet=_BASE58, versions=frozenset({0x41}))


def _xrp_address(text: str) -> str:
    if not text:
        raise _empty("address_format")
    if text[0] != "r":
        raise _wrong_start(text)
    if not 25 <= len(text) <= 35:
        raise _wrong_length(len(text))
    return _base58check_address(text, alphabet=_BASE58_XRP, versions=frozenset({0x00}))


def _solana_address(text: str) -> str:
    # Solana addresses are raw public keys: no checksum to verify, only the size.
    if not text:
        raise _empty("address_format")
    char = _first_outside(text, _BASE58)
    if char is not None:
        raise _bad_character(char, "base58", "address_format")
    if len(_base58_decode(text, _BASE58)) == 32:
        return text
    if 32 <= len(text) <= 44:
        raise _garbled()
    raise _wrong_length(len(text))


_ADDRESS_FORMATS: dict[ChainFamily, Callable[[str], str]] = {
    ChainFamily.EVM: _evm_address,
    ChainFamily.BITCOIN: lambda text: _utxo_address(
        text, segwit_hrp="bc", starts="13", versions=frozenset({0x00, 0x05})
    ),
    ChainFamily.LITECOIN: lambda text: _utxo_address(
        text, segwit_hrp="ltc", starts="LM3", versions=frozenset({0x30, 0x32, 0x05})
    ),
    ChainFamily.DOGECOIN: lambda text: _utxo_address(
        text, segwit_hrp=None, starts="DA9", versions=frozenset({0x1E, 0x16})
    ),
    ChainFamily.TRON: _tron_address,
    ChainFamily.SOLANA: _solana_address,
    ChainFamily.XRP: _xrp_address,
}


def _is_address(family: ChainFamily, text: str) -> bool:
    try:
        _check_not_huge(text, "address_format")
        _ADDRESS_FORMATS[family](text)
    except _Problem:
        return False
    return True


# --- Base58Check (Bitcoin-style; XRP uses the same scheme with its own alphabet)

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_XRP = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"


def _base58_decode(text: str, alphabet: str) -> bytes:
    """Decode text already known to use only `alphabet`.

    Leading "zero" digits stand for leading zero bytes, which a plain number
    conversion would drop.
    """
    number = 0
    for char in text:
        number = number * 58 + alphabet.index(char)
    zeros = len(text) - len(text.lstrip(alphabet[0]))
    return bytes(zeros) + number.to_bytes((number.bit_length() + 7) // 8, "big")


def _base58check_address(text: str, *, alphabet: str, versions: frozenset[int]) -> str:
    char = _first_outside(text, alphabet)
    if char is not None:
        raise _bad_character(char, "base58", "address_format")
    decoded = _base58_decode(text, alphabet)
    # One version byte, a 20-byte hash and a 4-byte checksum.
    if len(decoded) < 25:
        raise _Problem(
            gettext("This one is too short: a character may be missing."), "address_format"
        )
    if len(decoded) > 25:
        raise _Problem(
            gettext("This one is too long: it may have extra characters."), "address_format"
        )
    payload, checksum = decoded[:-4], decoded[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        raise _checksum_mismatch()
    if payload[0] not in versions:
        raise _wrong_start(text)
    return text


# --- Bech32 / Bech32m (BIP-173, BIP-350) ---------------------------------------

_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3


def _bech32_polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(_BECH32_GENERATOR):
            if (top >> i) & 1:
                checksum ^= generator
    return checksum


def _five_to_eight_bits(groups: list[int]) -> bytes | None:
    """Regroup 5-bit groups into bytes; None if the padding is not clean zeros."""
    accumulator = bits = 0
    out = bytearray()
    for group in groups:
        accumulator = ((accumulator << 5) | group) & 0xFFF
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((accumulator >> bits) & 0xFF)
    if bits >= 5 or (accumulator << (8 - bits)) & 0xFF:
        return None
    return bytes(out)


def _segwit_address(text: str, hrp: str) -> str:
    if text != text.lower() and text != text.upper():
        raise _Problem(
            gettext("This one mixes capital and small letters, which these addresses never do."),
            "address_format",
        )
    address = text.lower()
    data = address[len(hrp) + 1 :]
    char = _first_outside(data, _BECH32_CHARSET)
    if char is not None:
        raise _bad_character(char, "bech32", "address_format")
    # A witness version, at least two bytes of program, and six checksum characters.
    if len(data) < 1 + 4 + 6:
        raise _Problem(
            gettext("This one is too short: a character may be missing."), "address_format"
        )
    if len(address) > 90:
        raise _wrong_length(len(address))
    groups = [_BECH32_CHARSET.index(char) for char in data]
    hrp_expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    constant = _bech32_polymod(hrp_expanded + groups)
    if constant not in (_BECH32_CONST, _BECH32M_CONST):
        raise _checksum_mismatch()
    version = groups[0]
    program = _five_to_eight_bits(groups[1:-6])
    if (
        version > 16
        or program is None
        or not 2 <= len(program) <= 40
        or (version == 0 and len(program) not in (20, 32))
    ):
        raise _garbled()
    # Version 0 uses Bech32 and later versions Bech32m (BIP-350); the other
    # constant means a wallet bug or a mistyped address, either way unusable.
    if constant != (_BECH32_CONST if version == 0 else _BECH32M_CONST):
        raise _checksum_mismatch()
    return address


# --- Keccak-f[1600] -----------------------------------------------------------

_KECCAK_ROUND_CONSTANTS = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)  # fmt: skip
# Rotation offset of lane (x, y), stored at index x + 5 * y.
_KECCAK_ROTATIONS = (
    0, 1, 62, 28, 27,
    36, 44, 6, 55, 20,
    3, 10, 43, 25, 39,
    41, 45, 15, 21, 8,
    18, 2, 61, 56, 14,
)  # fmt: skip
_MASK64 = (1 << 64) - 1


def _rotate_left(lane: int, shift: int) -> int:
    return ((lane << shift) | (lane >> (64 - shift))) & _MASK64


def _keccak_f1600(lanes: list[int]) -> None:
    """The Keccak permutation on 25 64-bit lanes, in place (theta, rho, pi, chi, iota)."""
    for round_constant in _KECCAK_ROUND_CONSTANTS:
        parity = [
            lanes[x] ^ lanes[x + 5] ^ lanes[x + 10] ^ lanes[x + 15] ^ lanes[x + 20]
            for x in range(5)
        ]
        theta = [parity[(x - 1) % 5] ^ _rotate_left(parity[(x + 1) % 5], 1) for x in range(5)]
        moved = [0] * 25
        for x in range(5):
            for y in range(5):
                lane = lanes[x + 5 * y] ^ theta[x]
                moved[y + 5 * ((2 * x + 3 * y) % 5)] = _rotate_left(
                    lane, _KECCAK_ROTATIONS[x + 5 * y]
                )
        for x in range(5):
            for y in range(5):
                lanes[x + 5 * y] = moved[x + 5 * y] ^ (
                    ~moved[(x + 1) % 5 + 5 * y] & moved[(x + 2) % 5 + 5 * y]
                )
        lanes[0] ^= round_constant

"""TxID and wallet address checks per network family (evidence.chains)."""

import hashlib

import pytest
from django.core.exceptions import ValidationError

from evidence.chains import (
    ChainFamily,
    explorer_url,
    keccak256,
    looks_like_txid,
    normalize_address,
    normalize_txid,
)

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
XRP_BASE58 = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

GENESIS_COINBASE_TXID = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
SOLANA_SIGNATURE = (
    "5VERv8NMvzbJMEkV8xnrLkEaWRtSz9CosKDYjCJjBRnbJLgp8uirBgmQpjKhoR4tjF3ZpRzrFmBV6UjKdiSZkQUW"
)
OTHER_SOLANA_SIGNATURE = (
    "5h6xBEauJ3PK6SWCZ1PGjBvj8vDdWG3KpwATGy1ARAXFSDwt8GFXM7W5Ncn16wmqokgpiKRLuS83KUxyZyv2sUYv"
)
SATOSHI_ADDRESS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
TRON_USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
EIP55_ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def mistype(value: str, alphabet: str, position: int = -6) -> str:
    """`value` with one character swapped for the next one in its alphabet."""
    index = position % len(value)
    replacement = alphabet[(alphabet.index(value[index]) + 1) % len(alphabet)]
    return value[:index] + replacement + value[index + 1 :]


def base58check(payload: bytes) -> str:
    """Encode the way Bitcoin does, to build addresses no one has published."""
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number, digits = int.from_bytes(data, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        digits = BASE58[digit] + digits
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + digits


def txid_error(family: str, value: str, **kwargs: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        normalize_txid(family, value, **kwargs)
    return caught.value


def address_error(family: str, value: str, **kwargs: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        normalize_address(family, value, **kwargs)
    return caught.value


@pytest.mark.parametrize(
    ("data", "digest"),
    [
        (b"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
        (b"abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
    ],
)
def test_keccak256_matches_published_vectors(data: bytes, digest: str) -> None:
    assert keccak256(data).hex() == digest


# --- Transaction hashes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "given", "stored"),
    [
        # First Ethereum value transfer (block 46147).
        (
            ChainFamily.EVM,
            "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
            "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
        ),
        (
            ChainFamily.EVM,
            "  5C504ED432CB51138BCF09AA5E8A410DD4A1E204EF84BFED1BE16DFBA1B22060\n",
            "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
        ),
        (
            ChainFamily.EVM,
            "0X15F8E5EA1079D9A0BB04A4C58AE5FE7654B5B2B4463375FF7FFB490AA0032F3A",
            "0x15f8e5ea1079d9a0bb04a4c58ae5fe7654b5b2b4463375ff7ffb490aa0032f3a",
        ),
        (ChainFamily.BITCOIN, GENESIS_COINBASE_TXID, GENESIS_COINBASE_TXID),
        # The pizza transaction, pasted in capitals.
        (
            ChainFamily.BITCOIN,
            "A1075DB55D416D3CA199F55B6084E2115B9345E16C5CF302FC80E9D5FBF5D48D",
            "a1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d",
        ),
        (
            ChainFamily.LITECOIN,
            "97ddfbbae6be97fd6cdf3e7ca13232a3afff2353e29badfab7f73011edd4ced9",
            "97ddfbbae6be97fd6cdf3e7ca13232a3afff2353e29badfab7f73011edd4ced9",
        ),
        (ChainFamily.LITECOIN, f" {GENESIS_COINBASE_TXID.upper()} ", GENESIS_COINBASE_TXID),
        (
            ChainFamily.DOGECOIN,
            "5b2a3f53f605d62c53e62932dac6925e3d74afa5a4b459745c36d42d0ed26a69",
            "5b2a3f53f605d62c53e62932dac6925e3d74afa5a4b459745c36d42d0ed26a69",
        ),
        (
            ChainFamily.DOGECOIN,
            "5B2A3F53F605D62C53E62932DAC6925E3D74AFA5A4B459745C36D42D0ED26A69",
            "5b2a3f53f605d62c53e62932dac6925e3d74afa5a4b459745c36d42d0ed26a69",
        ),
        (
            ChainFamily.TRON,
            "7c2d4206c03a883dd9066d620335dc1be272a8dc733cfa3f6d10308faa37facc",
            "7c2d4206c03a883dd9066d620335dc1be272a8dc733cfa3f6d10308faa37facc",
        ),
        # Some TRON tools print 0x; TronScan and the APIs do not, so we drop it.
        (
            ChainFamily.TRON,
            "0xD0807ADB3C5412AA150787B944C96EE898C997DEBDC27E2F6A643C771EDB5933",
            "d0807adb3c5412aa150787b944c96ee898c997debdc27e2f6a643c771edb5933",
        ),
        (ChainFamily.SOLANA, SOLANA_SIGNATURE, SOLANA_SIGNATURE),
        (
            ChainFamily.SOLANA,
            f" {OTHER_SOLANA_SIGNATURE}",
            OTHER_SOLANA_SIGNATURE,
        ),
        # XRPL writes hashes in capitals.
        (
            ChainFamily.XRP,
            "1C15FEA3E1D50F96B6598607FC773FF1F6E0125F30160144BE0C5CBC52F5151B",
            "1C15FEA3E1D50F96B6598607FC773FF1F6E0125F30160144BE0C5CBC52F5151B",
        ),
        (
            ChainFamily.XRP,
            "e08d6e9754025ba2534a78707605e0601f03ace063687a0ca1bddacfcd1698c7",
            "E08D6E9754025BA2534A78707605E0601F03ACE063687A0CA1BDDACFCD1698C7",
        ),
    ],
)
def test_valid_txid_is_stored_in_canonical_form(family: str, given: str, stored: str) -> None:
    assert normalize_txid(family, given) == stored


@pytest.mark.parametrize(
    ("family", "value", "expected"),
    [
        (
            ChainFamily.EVM,
            "0x" + "ab" * 31,
            ["0x followed by 64 hexadecimal", "This one has 62 characters after 0x."],
        ),
        (ChainFamily.EVM, "ab" * 33, ["This one has 66 characters."]),
        (
            ChainFamily.EVM,
            "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b2206g",
            ["“g”, which is not a hexadecimal character"],
        ),
        (ChainFamily.EVM, EIP55_ADDRESS, ["the length of a wallet address"]),
        (ChainFamily.EVM, "   ", ["Nothing was entered."]),
        (
            ChainFamily.BITCOIN,
            GENESIS_COINBASE_TXID[:-1],
            ["64 hexadecimal characters (0-9, a-f), with no 0x", "This one has 63 characters."],
        ),
        (
            ChainFamily.BITCOIN,
            "0x" + GENESIS_COINBASE_TXID,
            ["This one starts with 0x, like hashes on Ethereum"],
        ),
        (
            ChainFamily.BITCOIN,
            GENESIS_COINBASE_TXID[:32] + " " + GENESIS_COINBASE_TXID[32:],
            ["contains a space or line break"],
        ),
        (ChainFamily.LITECOIN, GENESIS_COINBASE_TXID + "0", ["This one has 65 characters."]),
        (ChainFamily.DOGECOIN, "z" + GENESIS_COINBASE_TXID[1:], ["“z”"]),
        (
            ChainFamily.TRON,
            "0x" + GENESIS_COINBASE_TXID[:-2],
            ["64 hexadecimal characters", "This one has 62 characters after 0x."],
        ),
        (
            ChainFamily.XRP,
            "1C15FEA3E1D50F96B6598607FC773FF1F6E0125F30160144BE0C5CBC52F5151G",
            ["(0-9, A-F)", "“G”, which is not a hexadecimal character"],
        ),
        (
            ChainFamily.SOLANA,
            SOLANA_SIGNATURE[:80],
            ["87 or 88 base58 characters", "This one has 80 characters."],
        ),
        (ChainFamily.SOLANA, "0" + SOLANA_SIGNATURE[1:], ["“0”, which base58 does not use"]),
        (ChainFamily.SOLANA, GENESIS_COINBASE_TXID, ["This one has 64 characters."]),
        (ChainFamily.SOLANA, "z" * 88, ["right length but is not a valid signature"]),
    ],
)
def test_invalid_txid_says_what_is_expected_and_what_is_wrong(
    family: str, value: str, expected: list[str]
) -> None:
    error = txid_error(family, value)

    assert error.code == "txid_format"
    for fragment in expected:
        assert fragment in error.messages[0]


def test_txid_message_names_the_network_the_customer_chose() -> None:
    error = txid_error(ChainFamily.EVM, "0x" + "ab" * 31, network="Ethereum")

    assert error.messages == [
        "A transaction hash on Ethereum is 0x followed by 64 hexadecimal characters "
        "(0-9, a-f). This one has 62 characters after 0x."
    ]
    assert error.params == {"network": "Ethereum", "count": 62}


def test_txid_message_falls_back_to_the_family_name() -> None:
    error = txid_error(ChainFamily.XRP, "ABC")

    assert error.messages[0].startswith("A transaction hash on XRP Ledger is 64 hexadecimal")


# --- Addresses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "given", "stored"),
    [
        # EIP-55 test vectors: checksummed, all capitals, all small letters.
        (ChainFamily.EVM, EIP55_ADDRESS, EIP55_ADDRESS),
        (
            ChainFamily.EVM,
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        ),
        (
            ChainFamily.EVM,
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        ),
        (
            ChainFamily.EVM,
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ),
        (
            ChainFamily.EVM,
            "0x52908400098527886E0F7030069857D2E4169EE7",
            "0x52908400098527886E0F7030069857D2E4169EE7",
        ),
        (
            ChainFamily.EVM,
            "0xde709f2102306220921060314715629080e2fb77",
            "0xde709f2102306220921060314715629080e2fb77",
        ),
        # No checksum to verify when the case is uniform, and 0x is added back.
        (ChainFamily.EVM, f" {EIP55_ADDRESS.lower()}\n", EIP55_ADDRESS.lower()),
        (ChainFamily.EVM, "0X" + EIP55_ADDRESS[2:].upper(), "0x" + EIP55_ADDRESS[2:].upper()),
        (ChainFamily.EVM, EIP55_ADDRESS[2:], EIP55_ADDRESS),
        (ChainFamily.BITCOIN, SATOSHI_ADDRESS, SATOSHI_ADDRESS),
        (ChainFamily.BITCOIN, f"\t{SATOSHI_ADDRESS} ", SATOSHI_ADDRESS),
        (
            ChainFamily.BITCOIN,
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        ),
        # BIP-173 / BIP-350 mainnet vectors; bech32 is stored in small letters.
        (
            ChainFamily.BITCOIN,
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        ),
        (
            ChainFamily.BITCOIN,
            "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
            "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        ),
        (ChainFamily.BITCOIN, "BC1SW50QGDZ25J", "bc1sw50qgdz25j"),
        (
            ChainFamily.BITCOIN,
            "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
            "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
        ),
        (
            ChainFamily.BITCOIN,
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        ),
        # A P2WSH (32-byte program) address in use on mainnet.
        (
            ChainFamily.BITCOIN,
            "bc1qgdjqv0av3q56jvd82tkdjpy7gdp9ut8tlqmgrpmv24sq90ecnvqqjwvw97",
            "bc1qgdjqv0av3q56jvd82tkdjpy7gdp9ut8tlqmgrpmv24sq90ecnvqqjwvw97",
        ),
        (
            ChainFamily.LITECOIN,
            "LUd28DgwFmae8thFhaPYHGVmps4XockqfQ",
            "LUd28DgwFmae8thFhaPYHGVmps4XockqfQ",
        ),
        (
            ChainFamily.LITECOIN,
            "MGEW4aba3tnrVtVhGcmoqqHaLt5ymPSLPi",
            "MGEW4aba3tnrVtVhGcmoqqHaLt5ymPSLPi",
        ),
        (
            ChainFamily.LITECOIN,
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        ),
        (
            ChainFamily.LITECOIN,
            "LTC1QXTM55GULTQZHQZL2P3KS50HG2478Y3HEHUJ6DZ",
            "ltc1qxtm55gultqzhqzl2p3ks50hg2478y3hehuj6dz",
        ),
        (
            ChainFamily.DOGECOIN,
            "DEgDVFa2DoW1533dxeDVdTxQFhMzs1pMke",
            "DEgDVFa2DoW1533dxeDVdTxQFhMzs1pMke",
        ),
        (
            ChainFamily.DOGECOIN,
            "ADNbM5fBujCRBW1vqezNeAWmnsLp19ki3n",
            "ADNbM5fBujCRBW1vqezNeAWmnsLp19ki3n",
        ),
        (
            ChainFamily.DOGECOIN,
            "9xqCpm3DpUYSzcoQSPb5SEGDwn9NRqwZnH",
            "9xqCpm3DpUYSzcoQSPb5SEGDwn9NRqwZnH",
        ),
        (ChainFamily.TRON, TRON_USDT, TRON_USDT),
        (
            ChainFamily.TRON,
            " TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8 ",
            "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8",
        ),
        # System program (32 zero bytes), SPL Token program, USDC mint, wrapped SOL.
        (
            ChainFamily.SOLANA,
            "11111111111111111111111111111111",
            "11111111111111111111111111111111",
        ),
        (
            ChainFamily.SOLANA,
            "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
            "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
        ),
        (
            ChainFamily.SOLANA,
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
        ),
        (
            ChainFamily.SOLANA,
            "So11111111111111111111111111111111111111112",
            "So11111111111111111111111111111111111111112",
        ),
        # Genesis account, ACCOUNT_ZERO and ACCOUNT_ONE (25 characters).
        (
            ChainFamily.XRP,
            "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh",
            "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh",
        ),
        (ChainFamily.XRP, "rrrrrrrrrrrrrrrrrrrrrhoLvTp", "rrrrrrrrrrrrrrrrrrrrrhoLvTp"),
        (ChainFamily.XRP, "rrrrrrrrrrrrrrrrrrrrBZbvji", "rrrrrrrrrrrrrrrrrrrrBZbvji"),
    ],
)
def test_valid_address_is_stored_in_canonical_form(family: str, given: str, stored: str) -> None:
    assert normalize_address(family, given) == stored


@pytest.mark.parametrize(
    ("family", "address", "alphabet"),
    [
        (ChainFamily.BITCOIN, SATOSHI_ADDRESS, BASE58),
        (ChainFamily.BITCOIN, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", BASE58),
        (ChainFamily.BITCOIN, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", BECH32),
        (
            ChainFamily.BITCOIN,
            "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
            BECH32,
        ),
        (ChainFamily.LITECOIN, "LUd28DgwFmae8thFhaPYHGVmps4XockqfQ", BASE58),
        (ChainFamily.LITECOIN, "MGEW4aba3tnrVtVhGcmoqqHaLt5ymPSLPi", BASE58),
        (ChainFamily.LITECOIN, "ltc1qxtm55gultqzhqzl2p3ks50hg2478y3hehuj6dz", BECH32),
        (ChainFamily.DOGECOIN, "DEgDVFa2DoW1533dxeDVdTxQFhMzs1pMke", BASE58),
        (ChainFamily.DOGECOIN, "ADNbM5fBujCRBW1vqezNeAWmnsLp19ki3n", BASE58),
        (ChainFamily.TRON, TRON_USDT, BASE58),
        (ChainFamily.TRON, "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8", BASE58),
        (ChainFamily.XRP, "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", XRP_BASE58),
        (ChainFamily.XRP, "rG1QQv2nh2gr7RCZ1P8YYcBUKCCN633jCn", XRP_BASE58),
    ],
)
@pytest.mark.parametrize("position", [-1, -6, 12])
def test_one_mistyped_character_fails_the_checksum(
    family: str, address: str, alphabet: str, position: int
) -> None:
    normalize_address(family, address)  # the untouched address is fine

    error = address_error(family, mistype(address, alphabet, position))

    assert error.code == "address_checksum"
    assert "checksum does not match" in error.messages[0]


@pytest.mark.parametrize(
    "address",
    [
        EIP55_ADDRESS,
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ],
)
@pytest.mark.parametrize("position", [2, 20, 30])
def test_mixed_case_evm_address_with_a_wrong_capital_fails_eip55(
    address: str, position: int
) -> None:
    letter = next(i for i in range(position, len(address)) if address[i].isalpha())
    miscased = address[:letter] + address[letter].swapcase() + address[letter + 1 :]

    error = address_error(ChainFamily.EVM, miscased, network="Ethereum")

    assert error.code == "address_checksum"
    assert "(EIP-55)" in error.messages[0]
    assert error.messages[0].startswith("An address on Ethereum is 0x followed by 40")


BECH32_INVALID_FOR_BITCOIN = [
    # BIP-350 invalid address vectors (mainnet and others, which Bitcoin must refuse too).
    "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
    "bc1pw5dgrnzv",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
    "bc1gmk9yu",
    # BIP-173's v1 vector, valid only before BIP-350 moved v1+ to Bech32m.
    "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
]


@pytest.mark.parametrize("address", BECH32_INVALID_FOR_BITCOIN)
def test_bip350_invalid_addresses_are_refused(address: str) -> None:
    error = address_error(ChainFamily.BITCOIN, address)

    assert error.code in {"address_format", "address_checksum"}
    assert error.messages[0].startswith("An address on Bitcoin starts with bc1, 1 or 3.")


@pytest.mark.parametrize(
    ("family", "value", "code", "expected"),
    [
        (
            ChainFamily.EVM,
            EIP55_ADDRESS[:-1],
            "address_format",
            ["0x followed by 40 hexadecimal", "This one has 39 characters after 0x."],
        ),
        (ChainFamily.EVM, EIP55_ADDRESS[:-1] + "g", "address_format", ["“g”"]),
        (
            ChainFamily.EVM,
            "0x" + GENESIS_COINBASE_TXID,
            "address_format",
            ["the length of a transaction hash"],
        ),
        (
            ChainFamily.EVM,
            TRON_USDT,
            "address_network",
            ["0x followed by 40", "looks like an address on TRON"],
        ),
        # One character short still fills 25 bytes, so the checksum catches it.
        (ChainFamily.BITCOIN, SATOSHI_ADDRESS[:-1], "address_checksum", ["left out"]),
        (ChainFamily.BITCOIN, SATOSHI_ADDRESS[:-5], "address_format", ["too short"]),
        (ChainFamily.BITCOIN, SATOSHI_ADDRESS + "a", "address_format", ["too long"]),
        (
            ChainFamily.BITCOIN,
            SATOSHI_ADDRESS.replace("f", "0", 1),
            "address_format",
            ["“0”, which base58 does not use"],
        ),
        (
            ChainFamily.BITCOIN,
            "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
            "address_format",
            ["starts with bc1, 1 or 3", "This one starts with “tb1”."],
        ),
        (
            ChainFamily.BITCOIN,
            "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
            "address_format",
            ["“o”, which these addresses never use"],
        ),
        (
            ChainFamily.BITCOIN,
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8F3t4",
            "address_format",
            ["mixes capital and small letters"],
        ),
        (
            ChainFamily.BITCOIN,
            "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
            "address_format",
            ["not a valid address"],
        ),
        (
            ChainFamily.BITCOIN,
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
            "address_checksum",
            ["checksum does not match"],
        ),
        (
            ChainFamily.LITECOIN,
            SATOSHI_ADDRESS,
            "address_network",
            ["starts with ltc1, L, M or 3", "looks like an address on Bitcoin"],
        ),
        (
            ChainFamily.DOGECOIN,
            "LUd28DgwFmae8thFhaPYHGVmps4XockqfQ",
            "address_network",
            ["starts with D, A or 9", "looks like an address on Litecoin"],
        ),
        (
            ChainFamily.DOGECOIN,
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "address_network",
            ["looks like an address on Bitcoin"],
        ),
        (
            ChainFamily.DOGECOIN,
            "XDgDVFa2DoW1533dxeDVdTxQFhMzs1pMke",
            "address_format",
            ["This one starts with “X”."],
        ),
        (
            ChainFamily.TRON,
            TRON_USDT[:-1],
            "address_format",
            ["34 characters long", "This one has 33 characters."],
        ),
        (
            ChainFamily.TRON,
            EIP55_ADDRESS,
            "address_network",
            ["starts with T", "looks like an address on EVM"],
        ),
        (
            ChainFamily.SOLANA,
            "1" * 31,
            "address_format",
            ["32 to 44 base58 characters", "This one has 31 characters."],
        ),
        (
            ChainFamily.SOLANA,
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1O",
            "address_format",
            ["“O”, which base58 does not use"],
        ),
        (ChainFamily.SOLANA, "z" * 44, "address_format", ["not a valid address"]),
        (
            ChainFamily.SOLANA,
            TRON_USDT,
            "address_network",
            ["looks like an address on TRON"],
        ),
        (
            ChainFamily.XRP,
            "rrrrrrrrrrrrrrrrrrrrrrrr",
            "address_format",
            ["25 to 35 characters long", "This one has 24 characters."],
        ),
        (
            ChainFamily.XRP,
            "XHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh",
            "address_format",
            ["starts with r", "This one starts with “X”."],
        ),
        (ChainFamily.XRP, "rHb9CJAWyB4rj91VRWn96Dkuk04bwdtyTh", "address_format", ["“0”"]),
        (ChainFamily.XRP, "\n", "address_format", ["Nothing was entered."]),
    ],
)
def test_invalid_address_says_what_is_expected_and_what_is_wrong(
    family: str, value: str, code: str, expected: list[str]
) -> None:
    error = address_error(family, value)

    assert error.code == code
    for fragment in expected:
        assert fragment in error.messages[0]


@pytest.mark.parametrize(("version", "accepted"), [(0x05, True), (0x06, False)])
def test_bitcoin_address_needs_a_version_byte_bitcoin_uses(version: int, accepted: bool) -> None:
    # Both encode to an address starting with 3 and carry a correct checksum.
    address = base58check(bytes([version]) + bytes(range(20)))
    assert address.startswith("3")

    if accepted:
        assert normalize_address(ChainFamily.BITCOIN, address) == address
    else:
        assert address_error(ChainFamily.BITCOIN, address).code == "address_format"


@pytest.mark.parametrize("family", list(ChainFamily))
def test_a_huge_paste_is_refused_by_its_length(family: str) -> None:
    huge = "2" * 100_000  # valid base58 throughout, so only the length can stop it

    assert "This one has 100000 characters." in txid_error(family, huge).messages[0]
    assert "This one has 100000 characters." in address_error(family, huge).messages[0]
    assert looks_like_txid(huge) is False


def test_bitcoin_address_given_for_tron_points_at_the_network() -> None:
    error = address_error(ChainFamily.TRON, SATOSHI_ADDRESS, network="TRON (TRC20)")

    assert error.code == "address_network"
    assert error.messages == [
        "An address on TRON (TRC20) starts with T and is 34 characters long. This one looks "
        "like an address on Bitcoin. Check that you chose the network the transfer actually "
        "used."
    ]


@pytest.mark.parametrize("normalize", [normalize_txid, normalize_address])
def test_unknown_family_is_a_programming_error(normalize) -> None:
    with pytest.raises(ValueError, match="cardano"):
        normalize("cardano", "anything")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (GENESIS_COINBASE_TXID, True),
        (f"  0x{GENESIS_COINBASE_TXID.upper()}  ", True),
        (SOLANA_SIGNATURE, True),
        (GENESIS_COINBASE_TXID[:-1], False),
        (EIP55_ADDRESS, False),
        (SATOSHI_ADDRESS, False),
        ("abandon ability able about above absent absorb abstract absurd abuse access", False),
        ("", False),
    ],
)
def test_looks_like_txid(value: str, expected: bool) -> None:
    assert looks_like_txid(value) is expected


@pytest.mark.parametrize(
    ("template", "values", "url"),
    [
        (
            "https://etherscan.io/tx/{txid}",
            {"txid": "0xabc"},
            "https://etherscan.io/tx/0xabc",
        ),
        (
            "https://tronscan.org/#/address/{address}",
            {"address": TRON_USDT, "txid": "unused"},
            f"https://tronscan.org/#/address/{TRON_USDT}",
        ),
        # Pasted text cannot add a path, query or fragment to the link.
        (
            "https://mempool.space/tx/{txid}",
            {"txid": "../../evil?x=1#y z"},
            "https://mempool.space/tx/..%2F..%2Fevil%3Fx%3D1%23y%20z",
        ),
        # Other braces in an admin-entered template are left alone, never evaluated.
        (
            "https://example.org/{txid.__class__}/{0}/{txid}",
            {"txid": "ab"},
            "https://example.org/{txid.__class__}/{0}/ab",
        ),
        ("", {"txid": "ab"}, ""),
    ],
)
def test_explorer_url_fills_placeholders_safely(
    template: str, values: dict[str, str], url: str
) -> None:
    assert explorer_url(template, **values) == url

"""The admin-edited assets and networks, as the evidence checks look them up (evidence.fields).

Every filing asks for its asset and network and whether the one carries the other: read
from the database once per process and kept while no asset or network changed. The shared
cache holds a version that every save or delete of an asset or a network, and every change
of the assets a network carries, replaces; a process whose copy is of another version reads
anew. A cache that is down (or forgot the version) means reading the database, as before.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

from tickets.models import Asset, Network

_VERSION_KEY = "tickets:catalogue-version"
# A version lives this long, so a change made while the cache was down is read within it.
_VERSION_SECONDS = 300


@dataclass(frozen=True)
class _Snapshot:
    assets: dict[str, Asset]  # active ones, by upper-case code
    networks: dict[str, Network]
    carried: dict[int, frozenset[int]]  # network id -> the asset ids it names


def _read() -> _Snapshot:
    networks = list(Network.objects.filter(is_active=True).prefetch_related("assets"))
    return _Snapshot(
        assets={a.code.upper(): a for a in Asset.objects.filter(is_active=True)},
        networks={n.code.upper(): n for n in networks},
        carried={n.pk: frozenset(a.pk for a in n.assets.all()) for n in networks},
    )


class Catalogue:
    """Active assets and networks by code; what `evidence.fields.clean_fields` is given."""

    def __init__(self):
        self._copy: tuple[str, _Snapshot] | None = None

    def _snapshot(self) -> _Snapshot:
        version = cache.get(_VERSION_KEY)
        if version is None:
            cache.add(_VERSION_KEY, secrets.token_hex(8), timeout=_VERSION_SECONDS)
            version = cache.get(_VERSION_KEY)
            if version is None:
                return _read()
        copy = self._copy
        if copy is None or copy[0] != version:
            copy = self._copy = (version, _read())
        return copy[1]

    def asset(self, code: str) -> Asset | None:
        return self._snapshot().assets.get(code.upper())

    def network(self, code: str) -> Network | None:
        return self._snapshot().networks.get(code.upper())

    def carries(self, network: Network, asset: Asset) -> bool:
        # A network that names no assets carries any of them.
        carried = self._snapshot().carried.get(network.pk)
        if carried is None:  # not an active network of this copy: ask the database
            assets = network.assets
            return not assets.exists() or assets.filter(pk=asset.pk).exists()
        return not carried or asset.pk in carried


def changed(**kwargs) -> None:
    """An asset or network changed: every process reads the catalogue anew (tickets.apps).

    Now, for this transaction's own writes, and again once it commits, for a process that
    read in between what was there before.
    """
    cache.set(_VERSION_KEY, secrets.token_hex(8), timeout=_VERSION_SECONDS)
    transaction.on_commit(
        lambda: cache.set(_VERSION_KEY, secrets.token_hex(8), timeout=_VERSION_SECONDS)
    )


catalogue = Catalogue()

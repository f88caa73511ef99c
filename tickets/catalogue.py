"""The admin-edited assets and networks, as the evidence checks look them up (evidence.fields)."""

from __future__ import annotations

from tickets.models import Asset, Network


class Catalogue:
    """Active assets and networks by code; what `evidence.fields.clean_fields` is given."""

    def asset(self, code: str) -> Asset | None:
        return Asset.objects.filter(code__iexact=code, is_active=True).first()

    def network(self, code: str) -> Network | None:
        return Network.objects.filter(code__iexact=code, is_active=True).first()

    def carries(self, network: Network, asset: Asset) -> bool:
        # A network that names no assets carries any of them.
        assets = network.assets
        return not assets.exists() or assets.filter(pk=asset.pk).exists()


catalogue = Catalogue()

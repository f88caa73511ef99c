"""Each asset says how many decimal places it has: amounts are written with at most those."""

from django.core.validators import MaxValueValidator
from django.db import migrations, models

# What the chains and exchanges use for the assets loaded by 0003; admins set new ones.
DECIMALS = {
    "BTC": 8,
    "ETH": 18,
    "USDT": 6,
    "USDC": 6,
    "BNB": 18,
    "TRX": 6,
    "SOL": 9,
    "XRP": 6,
    "LTC": 8,
    "DOGE": 8,
}


def set_decimals(apps, schema_editor):
    Asset = apps.get_model("tickets", "Asset")
    for code, places in DECIMALS.items():
        Asset.objects.filter(code=code).update(decimals=places)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0017_search_terms_of_open_cases")]

    operations = [
        migrations.AddField(
            model_name="asset",
            name="decimals",
            field=models.PositiveSmallIntegerField(
                default=8,
                help_text="Digits after the point (BTC 8, USDT 6, ETH 18). Amounts in this asset are written with at most these, and more are refused.",
                validators=[MaxValueValidator(18)],
                verbose_name="decimal places",
            ),
        ),
        migrations.RunPython(set_decimals, migrations.RunPython.noop),
    ]


import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# Reference prices are history, like the audit trail: PostgreSQL refuses to rewrite them.
PRICES_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION tickets_assetprice_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'tickets_assetprice is append-only: add a new price';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tickets_assetprice_append_only
    BEFORE UPDATE OR DELETE ON tickets_assetprice
    FOR EACH ROW EXECUTE FUNCTION tickets_assetprice_append_only();
"""
PRICES_APPEND_ONLY_UNDONE = """
DROP TRIGGER IF EXISTS tickets_assetprice_append_only ON tickets_assetprice;
DROP FUNCTION IF EXISTS tickets_assetprice_append_only();
"""


def prices_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PRICES_APPEND_ONLY)


def prices_append_only_undone(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PRICES_APPEND_ONLY_UNDONE)


def received_hash_of_pdfs(apps, schema_editor):
    """A PDF was always stored byte for byte, so its received hash is the stored one. An
    image was re-encoded: what was received is not known any more, and stays blank."""
    Attachment = apps.get_model("tickets", "Attachment")
    Attachment.objects.filter(content_type="application/pdf", received_sha256="").update(
        received_sha256=models.F("sha256"), received_size=models.F("size")
    )


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0012_sla_policy_in_sla'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveField(
            model_name='asset',
            name='approval_limit',
        ),
        migrations.AddField(
            model_name='attachment',
            name='received_sha256',
            field=models.CharField(blank=True, max_length=64, verbose_name='SHA-256 as received'),
        ),
        migrations.AddField(
            model_name='attachment',
            name='received_size',
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name='size as received'),
        ),
        migrations.AddField(
            model_name='resolution',
            name='reference_value',
            field=models.DecimalField(blank=True, decimal_places=18, max_digits=38, null=True, verbose_name='value in the reference currency'),
        ),
        migrations.AlterField(
            model_name='attachment',
            name='sha256',
            field=models.CharField(max_length=64, verbose_name='SHA-256 of the stored copy'),
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('filed', 'Ticket filed'), ('message', 'Message added'), ('note', 'Internal note added'), ('evidence', 'Evidence added'), ('status', 'Status changed'), ('tier', 'Tier changed'), ('assigned', 'Assigned'), ('priority', 'Priority changed'), ('category', 'Category changed'), ('sla', 'Deadline missed'), ('resolution', 'Resolution proposed'), ('approval', 'Compensation approved'), ('answer', 'Customer answered the proposal'), ('appeal', 'Appeal filed'), ('panel', 'Panel drawn'), ('vote', 'Vote cast'), ('decision', 'Decision published'), ('merged', 'Merged'), ('access', 'Opened outside scope')], max_length=20, verbose_name='what'),
        ),
        migrations.CreateModel(
            name='AssetPrice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('currency', models.CharField(max_length=10, verbose_name='reference currency')),
                ('price', models.DecimalField(decimal_places=18, help_text='What one unit of the asset is worth in the reference currency.', max_digits=38, verbose_name='price of one unit')),
                ('set_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='in force from')),
                ('asset', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='prices', to='tickets.asset', verbose_name='asset')),
                ('set_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='set by')),
            ],
            options={
                'verbose_name': 'reference price',
                'verbose_name_plural': 'reference prices',
                'ordering': ['-set_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='resolution',
            name='reference_price',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tickets.assetprice'),
        ),
        migrations.AddIndex(
            model_name='assetprice',
            index=models.Index(fields=['asset', 'currency', '-set_at', '-id'], name='asset_price_in_force'),
        ),
        migrations.AddConstraint(
            model_name='assetprice',
            constraint=models.CheckConstraint(condition=models.Q(('price__gt', 0)), name='asset_price_positive'),
        ),
        migrations.RunPython(received_hash_of_pdfs, migrations.RunPython.noop),
        migrations.RunPython(prices_append_only, prices_append_only_undone),
    ]

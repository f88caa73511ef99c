"""Default SLA policies from DESIGN.md: 24–72 h to respond, faster for account security.

Every tier gets a fallback (any category, any priority) so no case is ever without one.
"""

from datetime import timedelta

from django.db import migrations

H = timedelta(hours=1)
D = timedelta(days=1)

# name, tier, category code or None, priority or "", first reply, next reply, resolution
POLICIES = [
    ("Support: default", "support", None, "", 48 * H, 48 * H, 10 * D),
    ("Support: low priority", "support", None, "low", 72 * H, 72 * H, 14 * D),
    ("Support: high priority", "support", None, "high", 24 * H, 24 * H, 7 * D),
    ("Support: urgent", "support", None, "urgent", 4 * H, 8 * H, 3 * D),
    ("Support: compromised account", "support", "compromised-account", "", 2 * H, 4 * H, 3 * D),
    ("Appeal Center: default", "appeal_center", None, "", 48 * H, 48 * H, 14 * D),
    ("Appeal Center: urgent", "appeal_center", None, "urgent", 12 * H, 24 * H, 7 * D),
    ("Dispute Committee: default", "dispute_committee", None, "", 72 * H, 72 * H, 30 * D),
]


def load(apps, schema_editor):
    SLAPolicy = apps.get_model("escalation", "SLAPolicy")
    Category = apps.get_model("tickets", "Category")
    for name, tier, code, priority, first, following, resolution in POLICIES:
        category = Category.objects.filter(code=code).first() if code else None
        if code and category is None:
            continue
        SLAPolicy.objects.get_or_create(
            tier=tier,
            category=category,
            priority=priority,
            defaults={
                "name": name,
                "first_response_target": first,
                "next_response_target": following,
                "resolution_target": resolution,
                "warning_percent": 75,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("escalation", "0001_initial"), ("tickets", "0003_reference_data")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

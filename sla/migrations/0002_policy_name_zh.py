from django.db import migrations, models

# The Chinese names of the default policies (escalation 0002); admins edit them.
CHINESE_NAMES = {
    "Support: default": "客服支持：默认",
    "Support: low priority": "客服支持：低优先级",
    "Support: high priority": "客服支持：高优先级",
    "Support: urgent": "客服支持：紧急",
    "Support: compromised account": "客服支持：账户被盗",
    "Appeal Center: default": "申诉中心：默认",
    "Appeal Center: urgent": "申诉中心：紧急",
    "Dispute Committee: default": "争议委员会：默认",
}


def name_the_policies_in_chinese(apps, schema_editor):
    SLAPolicy = apps.get_model("sla", "SLAPolicy")
    for name, name_zh in CHINESE_NAMES.items():
        SLAPolicy.objects.filter(name=name, name_zh="").update(name_zh=name_zh)


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial"), ("escalation", "0002_default_policies")]

    operations = [
        migrations.AddField(
            model_name="slapolicy",
            name="name_zh",
            field=models.CharField(blank=True, max_length=100, verbose_name="name (Chinese)"),
        ),
        migrations.RunPython(name_the_policies_in_chinese, migrations.RunPython.noop),
    ]

from django.db import migrations, models

# The Chinese names of the teams every exchange starts with (tickets 0003); admins edit them.
CHINESE_NAMES = {
    "security": "账户安全",
    "funding": "充值与提现",
    "trading": "交易",
    "verification": "身份认证",
    "general": "综合支持",
}


def name_the_teams_in_chinese(apps, schema_editor):
    Team = apps.get_model("accounts", "Team")
    for code, name_zh in CHINESE_NAMES.items():
        Team.objects.filter(code=code, name_zh="").update(name_zh=name_zh)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_team_leads"),
        ("tickets", "0003_reference_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="team",
            name="name_zh",
            field=models.CharField(blank=True, max_length=100, verbose_name="name (Chinese)"),
        ),
        migrations.RunPython(name_the_teams_in_chinese, migrations.RunPython.noop),
    ]

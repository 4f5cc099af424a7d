from django.db import migrations, models
from django.db.models.functions import Now


def verify_existing_accounts(apps, schema_editor):
    # Accounts from before verification existed could log in; they still can.
    apps.get_model("users", "User").objects.filter(email_verified_at__isnull=True).update(email_verified_at=Now())


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(verify_existing_accounts, migrations.RunPython.noop, elidable=True),
    ]

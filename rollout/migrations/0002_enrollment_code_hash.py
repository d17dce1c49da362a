"""Enrollment codes are stored as a keyed digest from now on: existing codes are hashed in place."""

from typing import Any

from django.db import migrations, models

from rollout.codes import hash_code


def hash_existing_codes(apps: Any, schema_editor: Any) -> None:
    enrollment_code = apps.get_model("rollout", "EnrollmentCode")
    for record in enrollment_code.objects.all().only("pk", "code_hash"):
        if len(record.code_hash) != 64:  # still a plain code
            record.code_hash = hash_code(record.code_hash)
            record.save(update_fields=["code_hash"])


class Migration(migrations.Migration):
    dependencies = [("rollout", "0001_initial")]

    operations = [
        migrations.RenameField(model_name="enrollmentcode", old_name="code", new_name="code_hash"),
        migrations.AlterField(
            model_name="enrollmentcode",
            name="code_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        # Irreversible by nature: a digest cannot be turned back into the code.
        migrations.RunPython(hash_existing_codes, migrations.RunPython.noop),
    ]

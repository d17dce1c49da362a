"""PostgreSQL: leave room in rollup pages so updates of counts and histograms are HOT (no index churn)."""

from django.db import migrations


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE telemetry_rollup SET (fillfactor = 70)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE telemetry_rollup RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0002_pending_rollup")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]

"""Hand-written: database triggers that make the audit log append-only (UPDATE and DELETE are refused).

The SQL lives in tongban.core.audit (create_triggers / drop_triggers) because the test runner's flush patch
(conftest.py) and audit_verify need exactly the same statements; it is imported inside the functions, when the app
registry is ready, and spells the table name out so it keeps meaning this table whatever the model becomes.
"""

from django.db import migrations


def install_triggers(apps, schema_editor):
    from tongban.core.audit import create_triggers

    create_triggers(schema_editor.connection)


def remove_triggers(apps, schema_editor):
    from tongban.core.audit import drop_triggers

    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(install_triggers, remove_triggers, elidable=False)]

"""Hand-written: a trigger that forgets a licence's stored seal check when what was checked changes.

Public verification reads the outcome of the seal check stored with the licence (licences/verification.py,
verification_store) instead of checking the signature on every request. The check covers the sealed data, its digest,
the signature, the issuer and (for the masked ID stored beside it) the holder's ID number; whenever an UPDATE changes
one of them, by any path (the ORM, a bulk update, plain SQL), `checked_at` is emptied and the next verification
checks again, so an altered row still fails at once. SQLite drops a table's triggers when a migration rebuilds the
table: a later migration that alters licences_licence on SQLite must run these statements again.
"""

from django.db import migrations

COLUMNS = ("data", "data_sm3", "signature", "issuer_id", "holder_id_number")
TABLE = "licences_licence"
NAME = "licences_licence_check_stale"


def _changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{column} {distinct} NEW.{column}" for column in COLUMNS)


# Built from the constants above only (no input): S608 does not apply.
STATEMENTS = {
    "sqlite": (
        [
            f"CREATE TRIGGER IF NOT EXISTS {NAME} AFTER UPDATE OF {', '.join(COLUMNS)} ON {TABLE} "  # noqa: S608
            f"FOR EACH ROW WHEN {_changed('IS NOT')} "
            f"BEGIN UPDATE {TABLE} SET checked_at = NULL WHERE id = NEW.id; END",
        ],
        [f"DROP TRIGGER IF EXISTS {NAME}"],
    ),
    "postgresql": (
        [
            f"CREATE OR REPLACE FUNCTION {NAME}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN NEW.checked_at := NULL; RETURN NEW; END $$",
            f"DROP TRIGGER IF EXISTS {NAME} ON {TABLE}",
            f"CREATE TRIGGER {NAME} BEFORE UPDATE OF {', '.join(COLUMNS)} ON {TABLE} "
            f"FOR EACH ROW WHEN ({_changed('IS DISTINCT FROM')}) EXECUTE FUNCTION {NAME}()",
        ],
        [f"DROP TRIGGER IF EXISTS {NAME} ON {TABLE}", f"DROP FUNCTION IF EXISTS {NAME}()"],
    ),
}


def _run(index: int):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in STATEMENTS:
            raise RuntimeError(f"the stored licence check needs SQLite or PostgreSQL, not {vendor}")
        for statement in STATEMENTS[vendor][index]:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("licences", "0001_initial")]

    operations = [migrations.RunPython(_run(0), _run(1), elidable=False)]

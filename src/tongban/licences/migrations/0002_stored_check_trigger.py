"""Hand-written: triggers that forget a licence's stored check when anything it was made from changes.

Public verification reads what was checked and assembled once and stored with the licence (licences/verification.py,
verification_store) instead of checking the signature and joining other tables on every request. The stored check
covers the licence's sealed data, its digest, the signature, the issuer and its shown fields and (for the masked ID
stored beside it) the holder's ID number; its licence type's code, name and field definitions; its issuer's name and
code; the status of the certificate it was checked against. Whenever an UPDATE changes one of them, by any path (the
ORM, a bulk update, plain SQL), `checked_at` of the licences concerned is emptied and their next verification checks
and assembles again: an altered row fails, a revoked certificate shows, a renamed issuer reads renamed, at once.
SQLite drops a table's triggers when a migration rebuilds the table: a later migration that alters one of these
tables on SQLite must run these statements again.
"""

from django.db import migrations

LICENCES = "licences_licence"
# (trigger name, table, columns whose change makes checks stale, the licences concerned: column of licences_licence
# that must equal NEW.id). A certificate's status matters only as revoked or not: a rotation (current → superseded)
# keeps the checks of what it signed.
WATCHED = (
    (
        "licences_licence_check_stale",
        LICENCES,
        ("data", "data_sm3", "signature", "issuer_id", "holder_id_number", "fields", "licence_type_id"),
        "id",
    ),
    ("licences_type_check_stale", "licences_licencetype", ("code", "name", "field_definitions"), "licence_type_id"),
    ("licences_issuer_check_stale", "core_organisation", ("uscc", "name"), "issuer_id"),
    ("licences_certificate_check_stale", "licences_certificate", ("status",), "check_certificate_id"),
)


# What of a column is compared, when not the whole value.
COMPARED = {("licences_certificate", "status"): "({row}.status = 'revoked')"}


def _changed(table: str, columns: tuple[str, ...], distinct: str) -> str:
    compared = [COMPARED.get((table, column), "{row}." + column) for column in columns]
    return " OR ".join(f"{value.format(row='OLD')} {distinct} {value.format(row='NEW')}" for value in compared)


def _forget(licence_column: str) -> str:
    # Built from the constants above only (no input).
    return f"UPDATE {LICENCES} SET checked_at = NULL WHERE {licence_column} = NEW.id AND checked_at IS NOT NULL"  # noqa: S608


def _sqlite(name: str, table: str, columns: tuple[str, ...], licence_column: str) -> tuple[list[str], list[str]]:
    create = (
        f"CREATE TRIGGER IF NOT EXISTS {name} AFTER UPDATE OF {', '.join(columns)} ON {table} "
        f"FOR EACH ROW WHEN {_changed(table, columns, 'IS NOT')} BEGIN {_forget(licence_column)}; END"
    )
    return [create], [f"DROP TRIGGER IF EXISTS {name}"]


def _postgresql(name: str, table: str, columns: tuple[str, ...], licence_column: str) -> tuple[list[str], list[str]]:
    # The licence's own row is changed in place before it is written; the others update the licences concerned.
    own = table == LICENCES
    body = "NEW.checked_at := NULL; RETURN NEW;" if own else f"{_forget(licence_column)}; RETURN NULL;"
    create = [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$",
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE TRIGGER {name} {'BEFORE' if own else 'AFTER'} UPDATE OF {', '.join(columns)} ON {table} "
        f"FOR EACH ROW WHEN ({_changed(table, columns, 'IS DISTINCT FROM')}) EXECUTE FUNCTION {name}()",
    ]
    return create, [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]


BUILDERS = {"sqlite": _sqlite, "postgresql": _postgresql}


def _run(forward: bool):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in BUILDERS:
            raise RuntimeError(f"the stored licence check needs SQLite or PostgreSQL, not {vendor}")
        for watched in WATCHED:
            create, drop = BUILDERS[vendor](*watched)
            for statement in create if forward else drop:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("licences", "0001_initial"), ("core", "0001_initial")]

    operations = [migrations.RunPython(_run(True), _run(False), elidable=False)]

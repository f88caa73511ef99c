"""Write many rows in one statement: what the sweeps need at a million tickets.

The sweep hands over plain rows of values, not model instances. On PostgreSQL each column
goes as one array parameter: new rows are `INSERT ... SELECT * FROM unnest(...)` and
changed rows `UPDATE ... FROM unnest(...)` joined on the primary key, so the statement's
text stays the same size whatever the number of rows and PostgreSQL splits the arrays
into rows. Django's `bulk_update` (a CASE expression per column, one arm per row) and
`bulk_create` (each value prepared by its field) took 45 s and then 8 s for 10,000
escalations on the 2-core bench machine, and quoting each row into a `VALUES` list
(`mogrify`) still 1.5 s; elsewhere (SQLite, the demo) Django's methods are kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models

# Values of these fields reach psycopg2 as Python gives them (ints, strings, decimals,
# None), which it quotes correctly; datetimes go as ISO text, and any other field (JSON
# above all) prepares its values itself.
_AS_THEY_ARE = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DecimalField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _fields(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:
    return [model._meta.get_field(name) for name in names]


def attnames(model: type[models.Model], names: Sequence[str]) -> list[str]:
    """The attribute names of fields (`sla_policy` -> `sla_policy_id`): what rows carry."""
    return [field.attname for field in _fields(model, names)]


def _iso(value):
    # psycopg2 adapts a datetime several times slower than a string; PostgreSQL reads the
    # ISO text, offset included, as the same instant.
    return value if value is None else value.isoformat()


def _preparer(field: models.Field):
    """None to pass a field's values as they are, or how to prepare them."""
    kind = field.get_internal_type()
    if kind in _AS_THEY_ARE:
        return None
    if kind == "DateTimeField":
        return _iso
    return lambda value: field.get_db_prep_save(value, connection)


def _arrays(rows: list[tuple], fields: list[models.Field]) -> list[list]:
    """One list per column, its values prepared as its field needs: psycopg2 sends each
    list as one array, quoting its items in C."""
    arrays = []
    for field, column in zip(fields, zip(*rows, strict=True), strict=True):
        prepare = _preparer(field)
        arrays.append(list(map(prepare, column)) if prepare else list(column))
    return arrays


def _unnest(fields: list[models.Field]) -> str:
    """`unnest(%s::type[], …)`: an array parameter has no element type of its own."""
    return "unnest(" + ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields) + ")"


def insert_rows(model: type[models.Model], names: Sequence[str], rows: list[tuple]) -> None:
    """Insert rows whose values follow `names` (attribute values: ids for foreign keys).

    The rows carry every column: a raw INSERT fills in no model defaults. (Off
    PostgreSQL, `bulk_create` stamps `auto_now_add` fields with its own clock.)
    """
    if not rows:
        return
    fields = _fields(model, names)
    missing = {f.name for f in model._meta.concrete_fields if not f.primary_key} - set(names)
    if missing:
        raise ValueError(f"insert_rows needs every column; missing {sorted(missing)}")
    if connection.vendor != "postgresql":
        row_names = attnames(model, names)
        model.objects.bulk_create([model(**dict(zip(row_names, row, strict=True))) for row in rows])
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
            f"SELECT * FROM {_unnest(fields)}",
            _arrays(rows, fields),
        )


def update_rows(model: type[models.Model], names: Sequence[str], rows: list[tuple]) -> None:
    """Set `names` on each row's object: rows are (primary key, *values in `names` order)."""
    if not rows:
        return
    meta = model._meta
    fields = _fields(model, names)
    if connection.vendor != "postgresql":
        row_names = [meta.pk.attname, *attnames(model, names)]
        objs = [model(**dict(zip(row_names, row, strict=True))) for row in rows]
        model.objects.bulk_update(objs, [field.name for field in fields])
        return
    quote = connection.ops.quote_name
    columns = [field.column for field in fields]
    assignments = ", ".join(f"{quote(c)} = v.{quote(c)}" for c in columns)
    names_sql = ", ".join(quote(c) for c in [meta.pk.column, *columns])
    pk = quote(meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
            f"FROM {_unnest([meta.pk, *fields])} AS v({names_sql}) WHERE t.{pk} = v.{pk}",
            _arrays(rows, [meta.pk, *fields]),
        )


def bulk_set(objs: list[models.Model], names: Sequence[str]) -> None:
    """Save `names` of every object (all of one model) in one statement on PostgreSQL."""
    if not objs:
        return
    model = type(objs[0])
    row_names = attnames(model, names)
    rows = [(obj.pk, *(getattr(obj, name) for name in row_names)) for obj in objs]
    update_rows(model, names, rows)

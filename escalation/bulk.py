"""Write many rows in one statement: what the sweeps need at a million tickets.

The sweep hands over plain rows of values, not model instances. On PostgreSQL each column
goes as one parameter, an array literal: new rows are `INSERT ... SELECT * FROM unnest(...)` and
changed rows `UPDATE ... FROM unnest(...)` joined on the primary key, so the statement's
text stays the same size whatever the number of rows and PostgreSQL splits the arrays
into rows. Django's `bulk_update` (a CASE expression per column, one arm per row) and
`bulk_create` (each value prepared by its field) took 45 s and then 8 s for 10,000
escalations on the 2-core bench machine, and quoting each row into a `VALUES` list
(`mogrify`) still 1.5 s; elsewhere (SQLite, the demo) Django's methods are kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models

# Integers go into an array literal as they print; every other value is quoted.
_INTEGERS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
}


def _fields(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:
    return [model._meta.get_field(name) for name in names]


def attnames(model: type[models.Model], names: Sequence[str]) -> list[str]:
    """The attribute names of fields (`sla_policy` -> `sla_policy_id`): what rows carry."""
    return [field.attname for field in _fields(model, names)]


def _as_text(field: models.Field) -> Callable[[Any], str] | None:
    """How a value of `field` is written in PostgreSQL's text form; None for an integer."""
    if field.is_relation:
        return _as_text(field.target_field)
    kind = field.get_internal_type()
    if kind in _INTEGERS:
        return None
    if kind in ("CharField", "TextField"):
        return str
    if kind == "BooleanField":
        return lambda value: "t" if value else "f"
    if kind == "DateTimeField":
        return datetime.isoformat  # the offset included: the same instant for PostgreSQL
    if kind == "JSONField":
        return lambda value: json.dumps(value, cls=field.encoder)
    return lambda value: str(field.get_db_prep_save(value, connection))


def _array(field: models.Field, values) -> str:
    """One column as an array literal (`{1,NULL}`, `{"a\\"b",NULL}`): a single parameter that
    PostgreSQL's array input reads in one pass, however many rows."""
    as_text = _as_text(field)
    if as_text is None:
        return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"
    # A sweep's rows share most of their values (one started clock per policy, one `now`):
    # each object is written out once. The rows keep every value alive, so ids are unique.
    written: dict[int, str] = {}
    items = []
    for value in values:
        item = written.get(id(value))
        if item is None:
            if value is None:
                item = "NULL"
            else:
                item = '"' + as_text(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
            written[id(value)] = item
        items.append(item)
    return "{" + ",".join(items) + "}"


def _arrays(rows: list[tuple], fields: list[models.Field]) -> list[str]:
    return [
        _array(field, column) for field, column in zip(fields, zip(*rows, strict=True), strict=True)
    ]


def _unnest(fields: list[models.Field]) -> str:
    """`unnest(%s::type[], …)`: each column's array literal read as its column's type."""
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

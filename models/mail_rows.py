# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The messages and mails of a batch's emails (and the followers its
activities subscribe, see ``mail_followers.py``), inserted without the ORM's
work per record.

``create`` puts every field of every new record in the cache (about 80 of a
message), updates the inverse one2many caches record by record and
sanitizes each body twice (for the row and for the cache): for the
thousands of messages and mails of a scheduler batch, a third of the email
step. ``create_rows`` does what ``create`` does to the database — the same
default and precomputed values (``_prepare_create_values``), each value
converted by its field for its column (bodies sanitized as the field
does), one ``INSERT`` per batch, the many2many rows through the fields, the
stored computed fields marked to compute (``modified``), the constraints
(``_validate_fields``) and what ``mail.message.create`` and
``mail.mail.create`` add — but fills no cache: the inverse caches it would
have updated are invalidated instead.

It does so only when the registry's ``create`` of the model is made of the
modules whose effect it reproduces (``REPRODUCED``): a module that overrides
``create`` or ``_create`` of messages or mails (e.g. ``mass_mailing``) sends
the batch through the ORM, as do values it does not reproduce (tracking
values, attachments, images inside the body, fields that are not columns).
``tests/test_email_rows.py`` compares every stored field of both paths.
"""

from collections import defaultdict

from odoo.models import INSERT_BATCH_SIZE, SQL_DEFAULT
from odoo.tools import SQL, split_every

from odoo.addons.mail.models.mail_message import _image_dataurl

from ..engine.fast_rows import fast_path_allowed


def create_rows(Model, values_list):
    """``Model.create(values_list)``'s records, inserted without the ORM's
    work per record when the registry and the values allow it."""
    if not values_list:
        return Model.browse()
    if not takes_fast_path(Model, values_list):
        return Model.create(values_list)
    if Model._name == "mail.message":
        return _create_messages(Model, values_list)
    return _create_mails(Model, values_list)


def takes_fast_path(Model, values_list):
    """Whether ``create_rows`` reproduces ``Model.create(values_list)``."""
    # The registry's class of the model: its MRO holds every module's class
    # (a few dozen to look at, once per batch).
    if not fast_path_allowed(Model._name, type(Model).__mro__):
        return False
    for values in values_list:
        for name, value in values.items():
            field = Model._fields.get(name)
            if (
                field is None
                or not field.store
                or field.inherited
                or field.inverse
                or field.type == "one2many"
                or (name in ("tracking_value_ids", "attachment_ids") and value)
            ):
                return False
        if _image_dataurl.search(values.get("body") or ""):
            return False
    return True


def _create_messages(Message, values_list):
    """What ``mail.message.create`` adds to the values and does after the
    rows, around ``insert_rows``."""
    Thread = Message.env["mail.thread"]
    # Completed in place, as ``mail.message.create`` does: the caller reads
    # the Message-Ids made here.
    for values in values_list:
        if "email_from" not in values:
            values["email_from"] = Thread._message_compute_author(
                values.get("author_id"), email_from=None, raise_on_email=False
            )[1]
        if not values.get("message_id"):
            values["message_id"] = Message._get_message_id(values)
        if "reply_to" not in values:
            values["reply_to"] = Message._get_reply_to(values)
        if (
            "record_name" not in values
            and "default_record_name" not in Message.env.context
        ):
            values["record_name"] = Message._get_record_name(values)
    messages = insert_rows(
        Message,
        [
            {name: value for name, value in values.items() if name != "attachment_ids"}
            for values in values_list
        ],
    )
    # The records' message caches (``_invalidate_documents``), per model.
    documents = defaultdict(set)
    for values in values_list:
        if Message.is_thread_message(values):
            documents[values["model"]].add(values["res_id"])
    for model, res_ids in documents.items():
        if model in Message.env and issubclass(
            Message.pool[model], Message.pool["mail.thread"]
        ):
            Message.env[model].browse(res_ids).invalidate_recordset(
                ["message_ids", "message_needaction", "message_needaction_counter"]
            )
    return messages


def _create_mails(Mail, values_list):
    """What ``mail.mail.create`` adds to the values, around ``insert_rows``."""
    values_list = [dict(values) for values in values_list]
    for values in values_list:
        if "is_notification" not in values and values.get("mail_message_id"):
            values["is_notification"] = True
        if values.get("scheduled_date"):
            parsed = Mail._parse_scheduled_datetime(values["scheduled_date"])
            values["scheduled_date"] = parsed.replace(tzinfo=None) if parsed else False
        else:
            values["scheduled_date"] = False
    return insert_rows(Mail, values_list)


def insert_rows(Model, values_list):
    """The records of ``values_list`` (stored fields of ``Model`` only), as
    ``BaseModel.create`` and ``_create`` make them, left out of the cache."""
    env = Model.env
    Model.check_access("create")
    values_list = Model._prepare_create_values(values_list)
    fields = Model._fields
    protected = set()
    for values in values_list:
        values.pop("__precomputed__", None)
        for name in values:
            field = fields[name]
            if field.compute and (not field.readonly or field.precompute):
                protected.update(Model.pool.field_computed.get(field, [field]))
    names = sorted({name for values in values_list for name in values})
    columns = [name for name in names if fields[name].column_type]
    others = sorted(
        (fields[name] for name in names if not fields[name].column_type),
        key=lambda field: field._sequence,
    )
    ids = []
    for chunk in split_every(INSERT_BATCH_SIZE, values_list):
        rows = [
            tuple(
                fields[name].convert_to_column_insert(values[name], Model, values)
                if name in values
                else SQL_DEFAULT
                for name in columns
            )
            for values in chunk
        ]
        env.cr.execute(
            SQL(
                'INSERT INTO %s (%s) VALUES %s RETURNING "id"',
                SQL.identifier(Model._table),
                SQL(", ").join(map(SQL.identifier, columns)),
                SQL(", ").join(rows),
            )
        )
        ids.extend(id_ for (id_,) in env.cr.fetchall())
    records = Model.browse(ids)
    # The one2many caches ``_create`` would have added the records to.
    for name in columns:
        for inverse in Model.pool.field_inverses[fields[name]]:
            env[inverse.model_name].invalidate_model([inverse.name], flush=False)
    with env.protecting(protected, records):
        records.modified(fields, create=True)
        for field in others:
            # New records have no relation yet (``_create`` says so to the
            # cache, which saves reading them), then those given.
            for record in records:
                env.cache.set(record, field, ())
            field.create(
                [
                    (record, values[field.name])
                    for record, values in zip(records, values_list, strict=True)
                    if field.name in values
                ]
            )
            for record in records:
                if not env.cache.get(record, field, ()):
                    env.cache.remove(record, field)
        records.modified([field.name for field in others], create=True)
    records._validate_fields(names)
    if Model._check_company_auto:
        records._check_company()
    records.check_access("create")
    return records

# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.models import LOG_ACCESS_COLUMNS
from odoo.tools import SQL

from ..fields import UncheckedMany2one


class AutomationFlowRecordMixin(models.AbstractModel):
    """Rows about one record of a flow's model: enrollments and tasks.

    A row is visible to whoever may read its record, as Odoo's attachments
    and activities are: a user who may not read a record finds neither its
    enrollments nor its tasks (search, read, lists, journeys), and learns
    nothing of it through them. ``record_name`` is computed with the
    reader's rights. A record deleted since has nothing left to protect: its
    rows stay visible to whoever may read its model.

    Numbers (flow and step counters, statistics reports) count every record
    of the flow: they show no record, and they are the flow's figures.
    """

    _name = "automation.flow.record.mixin"
    _description = "Automation Flow Row of a Record"

    model = fields.Char(required=True, readonly=True)
    res_id = fields.Many2oneReference(
        "Record ID", model_field="model", required=True, readonly=True
    )
    record_name = fields.Char("Record", compute="_compute_record_name")
    # The flow's company (record rules, filters, groupings). Not indexed:
    # record rules compare it with a handful of companies. Not checked: a
    # company cannot be deleted under its flows (see ``UncheckedMany2one``).
    company_id = UncheckedMany2one("res.company", readonly=True)

    def _drop_older_schema(self):
        """Drop what an older version of the table had and this one leaves
        out to insert faster: the foreign keys of its ``UncheckedMany2one``
        columns and the columns of ``_log_access`` (which Odoo's update keeps,
        with their foreign keys). Called by ``init``: ``-u`` of a database
        made by an older version."""
        cr = self.env.cr
        unchecked = [
            name
            for name, field in self._fields.items()
            if isinstance(field, UncheckedMany2one) and field.store
        ]
        cr.execute(
            SQL(
                """SELECT constraint_row.conname
                   FROM pg_constraint constraint_row
                   JOIN pg_attribute attribute
                     ON attribute.attrelid = constraint_row.conrelid
                    AND attribute.attnum = ANY(constraint_row.conkey)
                   WHERE constraint_row.contype = 'f'
                     AND constraint_row.conrelid = %(table)s::regclass
                     AND attribute.attname = ANY(%(columns)s)""",
                table=self._table,
                columns=unchecked,
            )
        )
        drops = [
            SQL("DROP CONSTRAINT %s", SQL.identifier(name)) for (name,) in cr.fetchall()
        ]
        cr.execute(
            SQL(
                """SELECT attname FROM pg_attribute
                   WHERE attrelid = %s::regclass AND NOT attisdropped
                     AND attname = ANY(%s)""",
                self._table,
                [name for name in LOG_ACCESS_COLUMNS if name not in self._fields],
            )
        )
        drops += [
            SQL("DROP COLUMN %s", SQL.identifier(name)) for (name,) in cr.fetchall()
        ]
        if drops:
            cr.execute(
                SQL(
                    "ALTER TABLE %s %s",
                    SQL.identifier(self._table),
                    SQL(", ").join(drops),
                )
            )
        # Odoo's record of the foreign keys dropped (uninstall drops those
        # it lists).
        cr.execute(
            SQL(
                """DELETE FROM ir_model_constraint reflected
                   USING ir_model model
                   WHERE model.id = reflected.model AND model.model = %s
                     AND reflected.type = 'f'
                     AND NOT EXISTS (
                         SELECT FROM pg_constraint
                         WHERE conname = reflected.name AND contype = 'f')""",
                self._name,
            )
        )

    @api.depends("model", "res_id")
    @api.depends_context("uid")
    def _compute_record_name(self):
        for model_name, rows in self.grouped("model").items():
            Model = self.env.get(model_name)
            if Model is None:
                existing, names = (), {}
            else:
                records = Model.browse(set(rows.mapped("res_id"))).exists()
                existing = set(records.ids)
                # One query per model for the batch; names of readable
                # records only, computed with the reader's rights.
                names = {
                    record.id: record.display_name
                    for record in records._filtered_access("read")
                }
            for row in rows:
                if row.res_id in names:
                    row.record_name = names[row.res_id]
                elif row.res_id in existing:
                    row.record_name = _("Record #%(id)s (no access)", id=row.res_id)
                else:
                    row.record_name = _("Record #%(id)s (deleted)", id=row.res_id)

    # ------------------------------------------------------------------
    # Visible only with the record
    # ------------------------------------------------------------------

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        query = super()._search(domain, offset, limit, order)
        if self.env.su or query.is_empty():
            return query
        query.add_where(self._readable_records_sql(query.table))
        return query

    def _readable_records_sql(self, alias):
        """SQL: the record of the row ``alias`` is readable by the current
        user, or deleted. One correlated ``EXISTS`` per model flows run on:
        the model's own ``_search`` (record rules and all), probed by id."""
        flows = self.env["automation.flow"]
        flows.flush_model(["model"])
        # Every flow's model, whoever may see the flow: a row is hidden by
        # default.
        self.env.cr.execute("SELECT DISTINCT model FROM automation_flow")
        res_id = SQL.identifier(alias, "res_id")
        conditions = []
        for (model_name,) in self.env.cr.fetchall():
            Model = self.env.get(model_name)
            if Model is None or not Model.has_access("read"):
                continue
            readable = Model.with_context(active_test=False)._search([])
            readable.add_where(
                SQL("%s = %s", SQL.identifier(readable.table, "id"), res_id)
            )
            conditions.append(
                SQL(
                    """(%(model)s = %(name)s AND (
                           EXISTS %(readable)s
                           OR NOT EXISTS (
                               SELECT FROM %(table)s WHERE id = %(res_id)s)))""",
                    model=SQL.identifier(alias, "model"),
                    name=model_name,
                    readable=readable.subselect(SQL("1")),
                    table=SQL.identifier(Model._table),
                    res_id=res_id,
                )
            )
        if not conditions:
            return SQL("FALSE")
        return SQL("(%s)", SQL(" OR ").join(conditions))

    def _check_access(self, operation):
        result = super()._check_access(operation)
        rows = self - result[0] if result else self
        rows = rows.browse([id_ for id_ in rows._ids if id_])
        forbidden = rows - rows._with_readable_records()
        if not forbidden:
            return result
        if result:
            return result[0] | forbidden, result[1]
        return forbidden, lambda: AccessError(
            _(
                "You may not see the enrollments and tasks of records you are "
                "not allowed to read. Ask an administrator for access to these "
                "records."
            )
        )

    def _with_readable_records(self):
        """The rows whose record the current user may read, or which was
        deleted: one query per model for the batch (plus the check of
        its record rules)."""
        allowed = set()
        # The row's model and record, read to check them.
        for model_name, rows in self.sudo().grouped("model").items():
            Model = self.env.get(model_name)
            if Model is None or not Model.has_access("read"):
                continue
            records = Model.browse(set(rows.mapped("res_id")))
            existing = records.exists()
            readable = set((records - existing).ids)
            readable.update(existing._filtered_access("read").ids)
            allowed.update(row.id for row in rows if row.res_id in readable)
        return self.filtered(lambda row: row.id in allowed)

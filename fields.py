# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields


class UncheckedMany2one(fields.Many2one):
    """A many2one whose column has no foreign key.

    For the columns of the rows the engine inserts by the thousand (tasks,
    enrollments) whose value another column already guarantees: PostgreSQL
    checks a foreign key once per row inserted, about a sixth of the cost of
    inserting a task. A task's flow is its enrollment's (``task._mismatches``)
    and goes with it (the enrollment's ``flow_id`` cascades, then its
    ``task_ids``); a row's company is its flow's, which a company cannot be
    deleted under (the flow's ``company_id`` is required). The field is the
    ORM's many2one in every other way: searched, grouped, read, checked by
    record rules.
    """

    def update_db_foreign_key(self, model, column):
        """No foreign key (the one of an older version is dropped by the
        model's ``init``)."""

# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What PostgreSQL checks per enrollment and task inserted (issue 13): the
foreign keys of the columns another column guarantees and the columns of
``_log_access`` are gone, and a database made by an older version loses them
at its update."""

from odoo.tests import tagged

from ..fields import UncheckedMany2one
from .common import NOW, AutomationFlowCase

TASK = "automation_flow_task"
ENROLLMENT = "automation_flow_enrollment"


@tagged("post_install", "-at_install")
class TestInsertedRows(AutomationFlowCase):
    def foreign_keys(self, table):
        """``{column: referenced table}`` of the foreign keys of ``table``."""
        self.env.cr.execute(
            """SELECT attribute.attname, constraint_row.confrelid::regclass::text
               FROM pg_constraint constraint_row
               JOIN pg_attribute attribute
                 ON attribute.attrelid = constraint_row.conrelid
                AND attribute.attnum = ANY(constraint_row.conkey)
               WHERE constraint_row.contype = 'f'
                 AND constraint_row.conrelid = %s::regclass""",
            [table],
        )
        return dict(self.env.cr.fetchall())

    def columns(self, table):
        self.env.cr.execute(
            """SELECT attname FROM pg_attribute
               WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped""",
            [table],
        )
        return {name for (name,) in self.env.cr.fetchall()}

    def test_a_root_task_checks_its_enrollment_and_step_only(self):
        keys = self.foreign_keys(TASK)
        # The keys a root task fills and PostgreSQL checks.
        self.assertEqual(keys["enrollment_id"], ENROLLMENT)
        self.assertEqual(keys["step_id"], "automation_flow_step")
        for column in ("flow_id", "company_id", "create_uid", "write_uid"):
            self.assertNotIn(column, keys)
        self.assertNotIn("company_id", self.foreign_keys(ENROLLMENT))
        self.assertEqual(self.foreign_keys(ENROLLMENT)["flow_id"], "automation_flow")

    def test_no_log_access_columns_but_the_tasks_creation_date(self):
        for table in (TASK, ENROLLMENT):
            columns = self.columns(table)
            with self.subTest(table=table):
                self.assertFalse(columns & {"create_uid", "write_uid", "write_date"})
                # Users filter and group by company: the column stays.
                self.assertIn("company_id", columns)
        self.assertIn("create_date", self.columns(TASK))
        self.assertNotIn("create_date", self.columns(ENROLLMENT))
        Task = self.env["automation.flow.task"]
        for name in ("flow_id", "company_id"):
            self.assertIsInstance(Task._fields[name], UncheckedMany2one)

    def test_enrollment_stamps_the_tasks_creation_date(self):
        flow = self.create_flow()
        step = self.add_step(flow)
        self.start(flow)
        with self.at(NOW):
            flow._enroll()
        tasks = self.tasks_of(step)
        self.assertEqual(len(tasks), len(self.partners))
        self.assertEqual(set(tasks.mapped("create_date")), {NOW})
        self.assertEqual(set(tasks.mapped("company_id")), {flow.company_id})
        self.assertEqual(set(tasks.mapped("flow_id")), {flow})
        self.assertEqual(
            set(tasks.enrollment_id.mapped("company_id")), {flow.company_id}
        )

    def test_update_drops_what_an_older_version_had(self):
        """``-u`` of a database made before: the model's ``init`` drops the
        foreign keys and the columns this version leaves out."""
        cr = self.env.cr
        for table in (TASK, ENROLLMENT):
            cr.execute(
                f"""ALTER TABLE {table}
                    ADD COLUMN create_uid int4 REFERENCES res_users ON DELETE SET NULL,
                    ADD COLUMN write_uid int4 REFERENCES res_users ON DELETE SET NULL,
                    ADD COLUMN write_date timestamp,
                    ADD FOREIGN KEY (company_id) REFERENCES res_company
                        ON DELETE SET NULL"""
            )
        cr.execute(
            f"ALTER TABLE {TASK} ADD FOREIGN KEY (flow_id) REFERENCES automation_flow"
        )
        self.assertIn("flow_id", self.foreign_keys(TASK))
        Task = self.env["automation.flow.task"]
        cr.execute(
            """SELECT conname FROM pg_constraint
               WHERE conrelid = %s::regclass AND contype = 'f'""",
            [TASK],
        )
        for (name,) in cr.fetchall():
            self.env["ir.model.constraint"]._reflect_constraint(
                Task, name, "f", None, "automation_flow"
            )
        Task.init()
        self.env["automation.flow.enrollment"].init()
        self.test_a_root_task_checks_its_enrollment_and_step_only()
        self.test_no_log_access_columns_but_the_tasks_creation_date()
        # Odoo's record of the dropped keys goes with them.
        cr.execute(
            """SELECT reflected.name FROM ir_model_constraint reflected
               JOIN ir_model model ON model.id = reflected.model
               WHERE model.model = 'automation.flow.task' AND reflected.type = 'f'
                 AND reflected.name NOT IN (SELECT conname FROM pg_constraint)"""
        )
        self.assertFalse(cr.fetchall())
        # Nothing left to drop: a second update changes nothing.
        self.env["automation.flow.task"].init()
        self.assertIn("enrollment_id", self.foreign_keys(TASK))

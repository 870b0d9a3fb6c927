# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from contextlib import contextmanager
from datetime import datetime

from freezegun import freeze_time

from odoo.tests import TransactionCase, new_test_user

NOW = datetime(2026, 3, 2, 9, 0, 0)


class AutomationFlowCase(TransactionCase):
    """Flows on contacts, a clock, and assertions on tasks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.partner_model = cls.env.ref("base.model_res_partner")
        cls.salesperson = new_test_user(
            cls.env, login="flow_salesperson", groups="base.group_user"
        )
        cls.template = cls.env["mail.template"].create(
            {
                "name": "Flow test email",
                "model_id": cls.partner_model.id,
                "subject": "Hello {{ object.name }}",
                "email_to": "{{ object.email }}",
                "email_from": "shop@example.com",
                "body_html": "<p>Hello <t t-out='object.name'/></p>",
            }
        )
        cls.action_mark = cls.env["ir.actions.server"].create(
            {
                "name": "Flow test: mark contacts",
                "model_id": cls.partner_model.id,
                "state": "code",
                "code": "records.write({'function': 'flow was here'})",
            }
        )
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")
        cls.partners = cls.env["res.partner"].create(
            [
                {
                    "name": f"Flow contact {index}",
                    "email": f"contact{index}@example.com",
                    "user_id": cls.salesperson.id,
                }
                for index in range(6)
            ]
        )

    @contextmanager
    def at(self, when):
        """Run the block as if it were ``when`` (a datetime)."""
        with freeze_time(when):
            yield

    def create_flow(self, **values):
        values.setdefault("name", "Test flow")
        values.setdefault("model_id", self.partner_model.id)
        values.setdefault("domain", "[('name', '=like', 'Flow contact%')]")
        return self.env["automation.flow"].create(values)

    def add_step(self, flow, step_type="action", parent=None, **values):
        values.update(
            flow_id=flow.id,
            step_type=step_type,
            parent_id=parent.id if parent else False,
        )
        values.setdefault("name", f"{step_type} step")
        values.setdefault("trigger", "after_step" if parent else "start")
        if step_type == "action":
            values.setdefault("server_action_id", self.action_mark.id)
        elif step_type == "email":
            values.setdefault("mail_template_id", self.template.id)
        elif step_type == "activity":
            values.setdefault("activity_type_id", self.todo.id)
            values.setdefault("activity_user_id", self.env.user.id)
        return self.env["automation.flow.step"].create(values)

    def start(self, flow, periodic=False):
        flow.is_periodic = periodic
        flow.action_start()
        return flow

    def run_due(self):
        """The cron's work, without its commits."""
        return self.env["automation.flow.task"]._process_due_tasks()

    def tasks_of(self, step, records=None):
        domain = [("step_id", "=", step.id)]
        if records is not None:
            domain.append(("res_id", "in", records.ids))
        return self.env["automation.flow.task"].search(domain)

    def assertTasks(self, step, records, state, count=None):
        """Each of ``records`` has a task of ``step`` in ``state``."""
        tasks = self.tasks_of(step, records)
        self.assertEqual(
            sorted(tasks.mapped("res_id")),
            sorted(records.ids),
            f"{step.name}: tasks for {records.ids}, got {tasks.mapped('res_id')}",
        )
        self.assertEqual(
            set(tasks.mapped("state")),
            {state},
            f"{step.name}: {tasks.mapped('state')} != {state}; errors: "
            f"{tasks.mapped('error_message')}",
        )

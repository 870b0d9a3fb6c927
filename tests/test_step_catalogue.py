# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from contextlib import ExitStack
from datetime import timedelta
from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from ..engine import states
from ..engine.triggers import EVENT, NEGATIVE, Event, StepType, Trigger
from .common import HOUR, NOW, AutomationFlowCase

DAY = timedelta(days=1)
# The fake type's event borrows a column of the emails: a test cannot add a
# column to the registry, a real type file declares its own (see DESIGN.md).
DELIVERED_FIELD = "replied_at"


def sms_step_types(original):
    """``_get_step_types`` of an addon that adds an "sms" step type."""

    def _get_step_types(self):
        return {
            **original(self),
            "sms": StepType(
                icon="fa-commenting",
                triggers=[
                    Trigger(
                        "sms_delivered",
                        EVENT,
                        "delivered",
                        "SMS delivered",
                        ("As soon as the SMS is delivered", "%(delay)s after delivery"),
                    ),
                    Trigger(
                        "sms_not_delivered",
                        NEGATIVE,
                        "delivered",
                        "SMS not delivered",
                        (
                            "If the SMS is not delivered at once",
                            "If the SMS is not delivered within %(delay)s",
                        ),
                    ),
                ],
                events=[
                    Event(
                        "delivered",
                        DELIVERED_FIELD,
                        label="Delivered",
                        icon="fa-check-circle",
                        cancel_reason="The SMS of the previous step was delivered.",
                    )
                ],
            ),
        }

    return _get_step_types


@tagged("post_install", "-at_install")
class TestStepTypePlugin(AutomationFlowCase):
    """A step type is one declaration (``_get_step_types``) and one executor:
    with no edit to the engine, the task, the reports or the other types, the
    scheduler runs it, its event wakes and cancels its children, and the
    statistics and the designer show it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="flow_catalogue_manager",
            groups="base.group_user,automation_flow.group_automation_flow_manager",
        )

    def setUp(self):
        super().setUp()
        Step = type(self.env["automation.flow.step"])
        step_type = Step._fields["step_type"]
        self.sent = []
        stack = ExitStack()
        self.addCleanup(stack.close)
        stack.enter_context(
            patch.object(Step, "_get_step_types", sms_step_types(Step._get_step_types))
        )
        # The catalogue is cached per registry: built again with the patched
        # hook now, and without it after the test.
        self.env.registry.clear_cache()
        self.addCleanup(self.env.registry.clear_cache)
        # What the type file's ``selection_add`` would do (values, labels).
        sms_type = [("sms", "Send an SMS")]
        labels = step_type._description_selection
        for attribute, value in (
            ("selection", step_type.selection + sms_type),
            ("_selection", dict(step_type.selection + sms_type)),
            ("_description_selection", lambda env: labels(env) + sms_type),
        ):
            stack.enter_context(patch.object(step_type, attribute, value))
        stack.enter_context(
            patch.object(
                Step,
                "_execute_sms",
                lambda step, tasks: self.sent.extend(tasks.mapped("res_id")),
                create=True,
            )
        )
        # The reports' views are built from the catalogue when installed.
        for report in ("automation.flow.task.report", "automation.flow.event.report"):
            self.env[report].init()

    def test_sms_type_end_to_end(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        env = self.env(user=self.manager)
        flow = env["automation.flow"].create(
            {
                "name": "SMS flow",
                "model_id": self.partner_model.id,
                "domain": "[('name', 'in', ['Flow contact 0', 'Flow contact 1'])]",
            }
        )
        Step = env["automation.flow.step"]
        sms = Step.create({"name": "Text them", "flow_id": flow.id, "step_type": "sms"})
        thank = Step.create(
            {
                "name": "Thank",
                "flow_id": flow.id,
                "parent_id": sms.id,
                "step_type": "sms",
                "trigger": "sms_delivered",
            }
        )
        call = Step.create(
            {
                "name": "Call",
                "flow_id": flow.id,
                "parent_id": sms.id,
                "step_type": "sms",
                "trigger": "sms_not_delivered",
                "delay": 1,
                "delay_unit": "days",
            }
        )
        ann, bob = self.partners[:2]
        with self.at(NOW):
            flow.action_start()
            flow.action_run()
            self.run_due()
        self.assertEqual(sorted(self.sent), sorted((ann | bob).ids))
        self.assertTasks(sms, ann | bob, states.TASK_DONE)
        self.assertTasks(thank, ann | bob, states.TASK_WAITING)
        self.assertTasks(call, ann | bob, states.TASK_SCHEDULED)

        # The event of the new type wakes its child and disproves the other.
        with self.at(NOW + HOUR):
            self.tasks_of(sms, ann)._on_event("delivered")
        self.env.invalidate_all()
        self.assertTasks(thank, ann, states.TASK_SCHEDULED)
        cancelled = self.tasks_of(call, ann)
        self.assertEqual(cancelled.state, states.TASK_CANCELLED)
        self.assertEqual(
            cancelled.error_message, "The SMS of the previous step was delivered."
        )
        with self.at(NOW + DAY + HOUR):
            self.run_due()
        self.assertTasks(thank, ann, states.TASK_DONE)
        self.assertTasks(call, bob, states.TASK_DONE)
        self.assertEqual(self.sent[2:], [ann.id, bob.id])
        self.assertTasks(thank, bob, states.TASK_WAITING)

        # Statistics: both reports, the designer and the journeys.
        self.env.flush_all()
        events = env["automation.flow.event.report"]._read_group(
            [("flow_id", "=", flow.id)], ["event"], ["event_count:sum"]
        )
        self.assertIn(("delivered", 1), events)
        labels = dict(
            env["automation.flow.event.report"]
            ._fields["event"]
            ._description_selection(env)
        )
        self.assertEqual(labels["delivered"], "Delivered")
        self.env.cr.execute(
            "SELECT sum(delivered_count) FROM automation_flow_task_report "
            "WHERE step_id = %s",
            [sms.id],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 1)
        tree = flow.get_step_tree()
        card = next(step for step in tree["steps"] if step["id"] == sms.id)
        self.assertEqual(card["type_icon"], "fa-commenting")
        self.assertEqual(card["type_label"], "Send an SMS")
        self.assertEqual(
            card["events"],
            [
                {
                    "event": "delivered",
                    "label": "Delivered",
                    "icon": "fa-check-circle",
                    "count": 1,
                    "rate": None,
                }
            ],
        )
        self.assertEqual(
            sorted(key for key, _label in tree["triggers"]["sms"]),
            ["after_step", "sms_delivered", "sms_not_delivered"],
        )
        self.assertNotIn(
            "sms_delivered", dict(tree["triggers"]["email"]), "only under an SMS"
        )
        self.assertEqual(
            call.schedule_description, "If the SMS is not delivered within 1 day"
        )
        self.assertTrue(thank.waits_for_event)
        journey = env["automation.flow.enrollment"].get_journeys("res.partner", ann.id)
        sms_task = next(t for t in journey[0]["tasks"] if t["step"] == "Text them")
        self.assertIn("delivered", [event["event"] for event in sms_task["events"]])

    def test_trigger_of_the_type_fits_under_it_only(self):
        flow = self.create_flow()
        email = self.add_step(flow, "email")
        with self.assertRaises(ValidationError) as caught:
            self.add_step(flow, "action", parent=email, trigger="sms_delivered")
        self.assertIn("does not fit under a step of type", str(caught.exception))

# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from ..engine import states
from .common import AUTOMATION_MANAGER, NOW, AutomationFlowCase, new_flow_user


@tagged("post_install", "-at_install")
class TestFollowersStep(AutomationFlowCase):
    """An add-followers step subscribes fixed people and people of the
    record, one subscription per distinct set of people."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(cls.env, "followers_manager", AUTOMATION_MANAGER)
        cls.ana = new_test_user(cls.env, login="followers_ana", name="Ana")
        cls.luis = new_test_user(cls.env, login="followers_luis", name="Luis")
        cls.installer = cls.env["res.partner"].create({"name": "Installer"})
        cls.partners[3:].user_id = cls.luis
        cls.user_field = cls.env.ref("base.field_res_partner__user_id")

    def create_followers_step(self, model=None, **values):
        env = self.env(user=self.manager)
        flow = env["automation.flow"].create(
            {
                "name": "Keep in the loop",
                "model_id": (model or self.partner_model).id,
                "domain": "[('name', '=like', 'Flow contact%')]",
            }
        )
        step = env["automation.flow.step"].create(
            {
                "name": "Follow",
                "flow_id": flow.id,
                "step_type": "followers",
                **values,
            }
        )
        return flow, step

    def test_fixed_people_and_people_of_the_record_follow(self):
        flow, step = self.create_followers_step(
            follower_user_ids=[(6, 0, self.ana.ids)],
            follower_partner_ids=[(6, 0, self.installer.ids)],
            follower_field_ids=[(6, 0, self.user_field.ids)],
        )
        Partner = type(self.env["res.partner"])
        original = Partner.message_subscribe
        calls = []

        def message_subscribe(records, partner_ids=None, subtype_ids=None):
            calls.append(sorted(records.ids))
            return original(records, partner_ids=partner_ids, subtype_ids=subtype_ids)

        with self.at(NOW):
            flow.action_start()
            flow.action_run()
            with patch.object(Partner, "message_subscribe", message_subscribe):
                self.run_due()
        self.assertTasks(step, self.partners, states.TASK_DONE)
        # Two sets of people: the salesperson differs.
        self.assertEqual(calls, [self.partners[:3].ids, self.partners[3:].ids])
        fixed = self.ana.partner_id | self.installer
        for partner in self.partners:
            self.assertLessEqual(
                fixed | partner.user_id.partner_id, partner.message_partner_ids
            )
        self.assertEqual(
            self.tasks_of(step, self.partners[3]).error_message,
            "Followers added: Ana, Installer, Luis.",
        )
        card = flow.with_user(self.manager).get_step_tree()["steps"][0]
        self.assertEqual(card["type_icon"], "fa-users")
        self.assertEqual(
            card["summary"], "Add Ana, Installer, Salesperson as followers"
        )

    def test_attendees_of_calendar_events(self):
        if "calendar.event" not in self.env:
            self.skipTest("Calendar is not installed: events have no attendees.")
        event_model = self.env["ir.model"]._get("calendar.event")
        event = self.env["calendar.event"].create(
            {
                "name": "Flow contact meeting",
                "start": "2026-03-03 10:00:00",
                "stop": "2026-03-03 11:00:00",
            }
        )
        flow, step = self.create_followers_step(
            model=event_model,
            follower_user_ids=[(6, 0, self.ana.ids)],
            follower_attendees=True,
        )
        with self.at(NOW):
            flow.action_start()
            flow.action_run()
            self.run_due()
        self.assertIn(self.ana.partner_id, event.partner_ids)
        self.assertIn(self.ana.partner_id, event.message_partner_ids)

    def test_bad_configurations_are_refused(self):
        title = self.env.ref("base.field_res_partner__title")
        for values, message in (
            ({}, "Choose the users, the contacts or the fields of the record"),
            (
                {"follower_field_ids": [(6, 0, title.ids)]},
                "The field Title of the step Follow holds no users or contacts",
            ),
            (
                {
                    "follower_user_ids": [(6, 0, self.ana.ids)],
                    "follower_attendees": True,
                },
                "Only calendar events have attendees",
            ),
        ):
            with (
                self.subTest(message=message),
                self.assertRefused(ValidationError, message),
            ):
                self.create_followers_step(**values)

# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import AutomationFlowCase

USER = "base.group_user,automation_flow.group_automation_flow_user"
MANAGER = "base.group_user,automation_flow.group_automation_flow_manager"


@tagged("post_install", "-at_install")
class TestRecordVisibility(AutomationFlowCase):
    """One rule: enrollments, tasks, journeys and the lists behind statistics
    show only records the user may read; a manager builds flows only on
    models they may read. Counters count every record of the flow."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Contacts of another team: a record rule hides them from the users
        # of a group, as sales teams' rules hide leads.
        cls.other_team = cls.env["res.groups"].create({"name": "Not the VIP team"})
        cls.env["ir.rule"].create(
            {
                "name": "VIP contacts are the VIP team's",
                "model_id": cls.partner_model.id,
                "groups": [(6, 0, cls.other_team.ids)],
                "domain_force": "[('ref', '!=', 'vip')]",
            }
        )
        cls.vips = cls.partners[:2]
        cls.vips.ref = "vip"
        cls.visible = cls.partners - cls.vips
        cls.user = cls.team_user("flow_vis_user", USER)
        cls.manager = cls.team_user("flow_vis_manager", MANAGER)

    @classmethod
    def team_user(cls, login, groups):
        """A user of ``groups`` who is not in the VIP team."""
        group_ids = [cls.env.ref(xmlid).id for xmlid in groups.split(",")]
        return new_test_user(
            cls.env, login=login, groups_id=group_ids + cls.other_team.ids
        )

    def setUp(self):
        super().setUp()
        self.flow = self.create_flow()
        self.step = self.add_step(self.flow, "action", delay=1, delay_unit="days")
        self.start(self.flow)
        self.flow.action_run()

    def names(self, rows):
        return set(rows.mapped("record_name"))

    def test_users_and_managers_see_only_rows_of_records_they_may_read(self):
        vip_names = set(self.vips.mapped("name"))
        for user in (self.user, self.manager):
            with self.subTest(user=user.login):
                self.assertFalse(user.has_group("base.group_system"))
                env = self.env(user=user)
                for model in ("automation.flow.enrollment", "automation.flow.task"):
                    Rows = env[model]
                    rows = Rows.search([("flow_id", "=", self.flow.id)])
                    self.assertEqual(sorted(rows.mapped("res_id")), self.visible.ids)
                    self.assertEqual(self.names(rows), set(self.visible.mapped("name")))
                    self.assertEqual(
                        Rows.search_count([("flow_id", "=", self.flow.id)]),
                        len(self.visible),
                    )
                    # The list view's own call.
                    listed = Rows.web_search_read(
                        [("flow_id", "=", self.flow.id)], {"record_name": {}}
                    )
                    self.assertEqual(listed["length"], len(self.visible))
                    self.assertFalse(
                        vip_names & {row["record_name"] for row in listed["records"]}
                    )
                    # Asked by id, the rows of VIP contacts are refused,
                    # without their names.
                    hidden = Rows.browse(
                        Rows.sudo()
                        .search(
                            [
                                ("flow_id", "=", self.flow.id),
                                ("res_id", "in", self.vips.ids),
                            ]
                        )
                        .ids
                    )
                    with self.assertRaises(AccessError) as caught:
                        hidden.read(["record_name", "res_id"])
                    self.assertFalse(
                        any(name in str(caught.exception) for name in vip_names)
                    )
                # The flow's figures count every record of the flow.
                flow = env["automation.flow"].browse(self.flow.id)
                self.assertEqual(flow.enrollment_count, len(self.partners))
                self.assertEqual(self.step.with_env(env).task_scheduled_count, 6)

    def test_journeys_only_of_records_the_user_may_read(self):
        Enrollment = self.env(user=self.user)["automation.flow.enrollment"]
        [journey] = Enrollment.get_journeys("res.partner", self.visible[0].id)
        self.assertEqual(journey["flow_id"], self.flow.id)
        with self.assertRaises(AccessError):
            Enrollment.get_journeys("res.partner", self.vips[0].id)

    def test_record_name_is_computed_with_the_readers_rights(self):
        rows = self.env["automation.flow.enrollment"].search(
            [("flow_id", "=", self.flow.id)]
        )
        # The server read the rows as superuser (they are in the cache):
        # their record names are still computed for the reader.
        rows.mapped("res_id")
        names = dict(
            zip(
                rows.mapped("res_id"),
                rows.with_user(self.user).mapped("record_name"),
                strict=True,
            )
        )
        for vip in self.vips:
            self.assertEqual(names[vip.id], f"Record #{vip.id} (no access)")
        for partner in self.visible:
            self.assertEqual(names[partner.id], partner.name)
        # A deleted record has nothing left to protect.
        deleted = self.visible[-1]
        deleted_id = deleted.id
        deleted.unlink()
        row = self.env(user=self.user)["automation.flow.enrollment"].search(
            [("flow_id", "=", self.flow.id), ("res_id", "=", deleted_id)]
        )
        self.assertEqual(row.record_name, f"Record #{deleted_id} (deleted)")

    def test_users_outside_the_module_see_nothing(self):
        other_company = self.env["res.company"].create({"name": "Other company"})
        others = [
            new_test_user(
                self.env, login="flow_vis_internal", groups="base.group_user"
            ),
            new_test_user(
                self.env, login="flow_vis_portal", groups="base.group_portal"
            ),
        ]
        for user in others:
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env(user=user)["automation.flow.enrollment"].search_read(
                    [], ["record_name"]
                )
        elsewhere = new_test_user(
            self.env,
            login="flow_vis_elsewhere",
            groups=USER,
            company_id=other_company.id,
            company_ids=[(6, 0, other_company.ids)],
        )
        self.assertFalse(
            self.env(user=elsewhere)["automation.flow.task"].search_read(
                [], ["record_name"]
            )
        )

    def test_the_test_wizard_refuses_a_record_the_manager_may_not_read(self):
        wizard = self.env(user=self.manager)["automation.flow.test"].create(
            {"flow_id": self.flow.id, "res_id": self.vips[0].id}
        )
        with self.assertRaises(AccessError):
            wizard.action_enroll()
        self.assertFalse(
            self.env["automation.flow.enrollment"].search(
                [("flow_id", "=", self.flow.id), ("is_test", "=", True)]
            )
        )

    def test_matching_records_are_searched_as_the_user(self):
        action = (
            self.env(user=self.manager)["automation.flow"]
            .browse(self.flow.id)
            .action_view_matching_records()
        )
        matching = self.env(user=self.manager)[action["res_model"]].search(
            action["domain"]
        )
        self.assertEqual(matching, self.visible.with_user(self.manager))

    def test_a_manager_builds_flows_only_on_models_they_may_read(self):
        env = self.env(user=self.manager)
        blacklist = self.env.ref("mail.model_mail_blacklist")
        self.assertTrue(blacklist.is_mail_thread)
        self.assertFalse(env["mail.blacklist"].has_access("read"))
        message = (
            "You are not allowed to read the records of Mail Blacklist: choose "
            "another model for"
        )
        with self.assertRaisesRegex(ValidationError, message):
            env["automation.flow"].create(
                {"name": "Blacklisted", "model_id": blacklist.id}
            )
        with self.assertRaisesRegex(ValidationError, message):
            env["automation.flow.filter"].create(
                {"name": "Blacklisted", "model_id": blacklist.id}
            )
        draft = env["automation.flow"].create(
            {"name": "Draft", "model_id": self.partner_model.id}
        )
        with self.assertRaisesRegex(ValidationError, message):
            draft.model_id = blacklist

    def test_records_the_manager_may_not_read_still_lock_the_flow(self):
        vip_flow = self.create_flow(name="VIP flow", domain="[('ref', '=', 'vip')]")
        self.add_step(vip_flow, "action")
        self.start(vip_flow)
        vip_flow.action_run()
        flow = self.env(user=self.manager)["automation.flow"].browse(vip_flow.id)
        self.assertFalse(flow.enrollment_ids)
        self.assertEqual(flow.enrollment_count, len(self.vips))
        with self.assertRaisesRegex(UserError, "its model cannot be changed"):
            flow.model_id = self.env.ref("base.model_res_users")
        with self.assertRaisesRegex(UserError, "cannot go back to draft"):
            flow.action_draft()

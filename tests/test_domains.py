# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import datetime

from odoo import SUPERUSER_ID
from odoo.exceptions import AccessError, ValidationError
from odoo.osv import expression
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import AutomationFlowCase

# What Odoo 18's domain editor writes for "Created on is within the last 1
# month" (a datetime field), without debug mode.
CREATED_IN_THE_LAST_MONTH = (
    '["&", ("create_date", ">=", datetime.datetime.combine(context_today() + '
    "relativedelta(months = -1), datetime.time(0, 0, 0)).to_utc().strftime("
    '"%Y-%m-%d %H:%M:%S")), ("create_date", "<=", datetime.datetime.combine('
    "context_today(), datetime.time(0, 0, 0)).to_utc().strftime("
    '"%Y-%m-%d %H:%M:%S"))]'
)
# ... and for "Date is within the last 1 week" (a date field).
DATED_IN_THE_LAST_WEEK = (
    '["&", ("x_flow_date", ">=", (context_today() + relativedelta(weeks = -1))'
    '.strftime("%Y-%m-%d")), ("x_flow_date", "<=", '
    'context_today().strftime("%Y-%m-%d"))]'
)


@tagged("post_install", "-at_install")
class TestDomains(AutomationFlowCase):
    """Flow, saved filter and step domains are evaluated as Odoo evaluates
    filters (``uid``, ``user``, ``context_today()``, ``relativedelta``, the
    domain editor's ``to_utc()``), again at each use; a domain that cannot be
    used is refused with a sentence."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.add_contact_field("x_flow_date", "Renewal date", "date")
        # The manager's day is Brussels' (UTC+1 in winter): "the last month"
        # starts at midnight there, 23:00 UTC the day before.
        cls.manager = new_test_user(
            cls.env,
            login="flow_domain_manager",
            tz="Europe/Brussels",
            groups="base.group_user,automation_flow.group_automation_flow_manager",
        )
        cls.env = cls.env(user=cls.manager)

    def create_partners(self, created):
        """Contacts created (by an administrator) at the given UTC datetimes,
        ``{name: datetime}``."""
        partners = self.partners.create([{"name": name} for name in created])
        for partner, create_date in zip(partners, created.values(), strict=True):
            self.env.cr.execute(
                "UPDATE res_partner SET create_date = %s WHERE id = %s",
                [create_date, partner.id],
            )
        partners.invalidate_recordset(["create_date"])
        return partners

    def enrolled(self, flow):
        return flow.enrollment_ids.mapped(
            lambda enrollment: self.partners.browse(enrollment.res_id).name
        )

    def test_contacts_created_in_the_last_month_as_the_domain_editor_writes_it(self):
        self.create_partners(
            {
                "Lead 20 February": datetime(2026, 2, 20, 10, 0),
                # 2 February 00:30 in Brussels: in the month.
                "Lead 1 February 23:30 UTC": datetime(2026, 2, 1, 23, 30),
                # 1 February 23:30 in Brussels: before it.
                "Lead 1 February 22:30 UTC": datetime(2026, 2, 1, 22, 30),
                "Lead 15 January": datetime(2026, 1, 15, 10, 0),
            }
        )
        saved_filter = self.env["automation.flow.filter"].create(
            {
                "name": "Created in the last month",
                "model_id": self.partner_model.id,
                "domain": CREATED_IN_THE_LAST_MONTH,
            }
        )
        flow = self.create_flow(
            domain="[('name', '=like', 'Lead %')]", filter_id=saved_filter.id
        )
        self.add_step(flow, "action")
        self.start(flow, periodic=True)
        with self.at(datetime(2026, 3, 2, 9, 0)):
            self.env["automation.flow"]._cron_enroll_periodic()
        self.assertCountEqual(
            self.enrolled(flow), ["Lead 20 February", "Lead 1 February 23:30 UTC"]
        )
        # Evaluated again at each run: three weeks later the month has moved.
        self.create_partners({"Lead 10 March": datetime(2026, 3, 10, 8, 0)})
        with self.at(datetime(2026, 3, 23, 9, 0)):
            self.env["automation.flow"]._cron_enroll_periodic()
        self.assertCountEqual(
            self.enrolled(flow),
            ["Lead 20 February", "Lead 1 February 23:30 UTC", "Lead 10 March"],
        )

    def test_step_domain_uses_the_date_of_the_day_it_runs(self):
        partners = self.partners
        partners[:2].x_flow_date = "2026-02-27"
        partners[2:].x_flow_date = "2026-02-10"
        flow = self.create_flow()
        step = self.add_step(
            flow, "action", domain=DATED_IN_THE_LAST_WEEK, delay=2, delay_unit="days"
        )
        self.start(flow)
        with self.at(datetime(2026, 3, 1, 9, 0)):
            flow.action_run()
        # Checked when due (3 March), not when enrolled: the last week is
        # 24 February - 3 March.
        with self.at(datetime(2026, 3, 3, 10, 0)):
            self.run_due()
        self.assertTasks(step, partners[:2], "done")
        self.assertTasks(step, partners[2:], "skipped")

    def test_user_and_uid_are_the_flows_responsible(self):
        mine = self.partners.create(
            {"name": "Flow contact of the manager", "user_id": self.manager.id}
        )
        flow = self.create_flow(
            domain="[('name', '=like', 'Flow contact%'), ('user_id', '=', uid)]"
        )
        self.assertEqual(flow.user_id, self.manager)
        step = self.add_step(
            flow, "action", domain="[('user_id.login', '=', user.login)]"
        )
        self.start(flow, periodic=True)
        # The cron enrolls and runs as OdooBot: "my contacts" are still the
        # responsible's.
        odoobot = self.env(user=SUPERUSER_ID)
        odoobot["automation.flow"]._cron_enroll_periodic()
        odoobot["automation.flow.task"]._process_due_tasks()
        self.assertEqual(flow.enrollment_ids.mapped("res_id"), mine.ids)
        self.assertTasks(step, mine, "done")

    def test_a_domain_that_cannot_be_used_is_refused_with_a_sentence(self):
        flow = self.create_flow()
        cases = [
            (
                lambda: self.create_flow(
                    name="Typo",
                    domain="[('create_date', '>=', context_todai())]",
                ),
                "The domain of the flow Typo cannot be used: it uses context_todai, "
                "which is unknown. A domain may use uid, user, context_today(), "
                "today, datetime, time, relativedelta, timedelta and dateutil.",
            ),
            (
                lambda: self.env["automation.flow.filter"].create(
                    {
                        "name": "Unclosed",
                        "model_id": self.partner_model.id,
                        "domain": "[('name', '=', 'x')",
                    }
                ),
                "The domain of the saved filter Unclosed cannot be used: it is not "
                "written correctly",
            ),
            (
                lambda: self.add_step(flow, "action", name="Text", domain="'name'"),
                "The domain of the step Text of the flow Test flow cannot be used: "
                "it must be a list of conditions",
            ),
            (
                lambda: self.add_step(
                    flow, "action", name="Field", domain="[('no_such_field', '=', 1)]"
                ),
                "The domain of the step Field of the flow Test flow cannot be used: "
                "it does not fit Contact",
            ),
        ]
        for create, sentence in cases:
            with self.subTest(sentence=sentence):
                with self.assertRaises(ValidationError) as caught:
                    create()
                message = str(caught.exception)
                self.assertTrue(message.startswith(sentence), message)
                self.assertNotIn("Error", message)

    def test_a_domain_broken_after_the_start_is_told_on_the_flow(self):
        flow = self.create_flow(name="Broken later")
        self.add_step(flow, "action")
        self.start(flow, periodic=True)
        # Written in SQL, as no form accepts it (e.g. a module renamed a name).
        self.env.cr.execute(
            "UPDATE automation_flow SET domain = %s WHERE id = %s",
            ["[('create_date', '>=', last_monday)]", flow.id],
        )
        flow.invalidate_recordset(["domain"])
        with mute_logger("odoo.addons.automation_flow.models.automation_flow"):
            self.env["automation.flow"]._cron_enroll_periodic()
        self.assertFalse(flow.enrollment_ids)
        self.assertIn(
            "The domain of the flow Broken later cannot be used: it uses "
            "last_monday, which is unknown.",
            flow.message_ids[0].body,
        )


@tagged("post_install", "-at_install")
class TestStepLiveCount(AutomationFlowCase):
    """The step form counts the records that can reach the step: its own
    domain and the flow's (saved filter and company included)."""

    def test_live_count_applies_the_flows_domain(self):
        flow = self.create_flow(
            domain=repr(
                [("name", "in", ["Flow contact 0", "Flow contact 1", "Flow contact 2"])]
            )
        )
        flow.filter_id = self.env["automation.flow.filter"].create(
            {
                "name": "Not contact 2",
                "model_id": self.partner_model.id,
                "domain": "[('name', '!=', 'Flow contact 2')]",
            }
        )
        step_domain = [("email", "ilike", "@example.com")]
        Partner = self.env["res.partner"]
        self.assertGreater(Partner.search_count(step_domain), 2)
        user = new_test_user(
            self.env,
            "live_count_user",
            groups="base.group_user,automation_flow.group_automation_flow_user",
        )
        flow_domain = flow.with_user(user).get_records_domain()
        reach = Partner.with_user(user).search(
            expression.AND([flow_domain, step_domain])
        )
        self.assertEqual(reach, self.partners[:2])
        # Who may not read the flow is not told its domain.
        outsider = new_test_user(
            self.env, "live_count_outsider", groups="base.group_user"
        )
        with self.assertRaises(AccessError):
            flow.with_user(outsider).get_records_domain()

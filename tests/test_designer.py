# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from lxml import etree

from odoo.tests import tagged

from .common import AUTOMATION_MANAGER, NOW, AutomationFlowCase, new_flow_user


@tagged("post_install", "-at_install")
class TestDesigner(AutomationFlowCase):
    """What the designer reads to draw a flow of real size: how each step
    hangs under its parent (a chain or a labelled branch), what it does, and
    whether the scheduler is about to change its counters; the statistics'
    views; the words of the flow's states."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_flow_user(cls.env, "designer_manager", AUTOMATION_MANAGER)

    def cards(self, flow, user=None):
        tree = flow.with_user(user or self.manager).get_step_tree()
        return {card["name"]: card for card in tree["steps"]}

    def test_chains_and_branches(self):
        flow = self.create_flow()
        email = self.add_step(flow, "email", name="Welcome")
        after = self.add_step(flow, "action", email, name="Mark")
        opened = self.add_step(
            flow, "activity", email, name="Call", trigger="email_opened"
        )
        check = self.add_step(
            flow,
            "condition",
            after,
            name="Check",
            condition_domain="[('email', '!=', False)]",
        )
        self.add_step(flow, "action", check, name="Yes", trigger="condition_yes")
        split = self.add_step(
            flow, "split", after, name="A/B", split_percent_a=30, split_percent_b=70
        )
        self.add_step(flow, "action", split, name="Offer A", trigger="split_a")
        approval = self.add_step(flow, "approval", opened, name="Approve")
        self.add_step(flow, "action", approval, name="Go", trigger="approval_approved")
        cards = self.cards(flow)
        self.assertEqual(
            {name: (card["kind"], card["branch"]) for name, card in cards.items()},
            {
                "Welcome": ("start", "At enrollment"),
                "Mark": ("after", "After the previous step"),
                "Call": ("event", "Email opened"),
                "Check": ("after", "After the previous step"),
                "Yes": ("branch", "Yes"),
                "A/B": ("after", "After the previous step"),
                "Offer A": ("branch", "Branch A (30 %)"),
                "Approve": ("after", "After the previous step"),
                "Go": ("event", "Approved"),
            },
        )

    def test_cards_say_what_steps_do(self):
        flow = self.create_flow()
        email = self.add_step(flow, "email", name="Welcome")
        self.add_step(flow, "action", email, name="Mark")
        self.add_step(
            flow,
            "activity",
            email,
            name="Call",
            activity_user_id=self.salesperson.id,
            activity_summary="Ask for feedback",
        )
        self.add_step(flow, "approval", email, name="Approve")
        self.add_step(
            flow, "split", email, name="A/B", split_percent_a=30, split_percent_b=70
        )
        cards = self.cards(flow)
        self.assertEqual(cards["Welcome"]["summary"], "Send Flow test email")
        self.assertEqual(cards["Mark"]["summary"], "Run Flow test: mark contacts")
        self.assertEqual(
            cards["Call"]["summary"],
            f"To-Do: Ask for feedback for {self.salesperson.name}",
        )
        self.assertEqual(
            cards["Approve"]["summary"], f"Ask {self.salesperson.name} for approval"
        )
        self.assertEqual(cards["A/B"]["summary"], "Branch A (30 %), Branch B (70 %)")

    def test_busy_while_the_scheduler_has_work(self):
        flow = self.create_flow()
        self.add_step(flow, "action")
        self.assertFalse(flow.get_step_tree()["busy"], "draft")
        with self.at(NOW):
            self.start(flow)
            self.assertFalse(flow.get_step_tree()["busy"], "nothing enrolled")
            flow.action_run()
            self.assertTrue(flow.with_user(self.manager).get_step_tree()["busy"])
            self.run_due()
            self.assertFalse(flow.get_step_tree()["busy"], "all done")
        periodic = self.create_flow(name="Periodic")
        self.add_step(periodic, "action")
        self.start(periodic, periodic=True)
        self.assertTrue(periodic.get_step_tree()["busy"], "the first enrollment")

    def test_every_graph_colours_states_and_events(self):
        """The graphs of tasks and events use the view with fixed colours;
        the pivots have no column adding unlike counts."""
        views = self.env["ir.ui.view"].search(
            [
                ("type", "in", ("graph", "pivot")),
                ("model", "like", "automation.flow.%"),
            ]
        )
        graphs = views.filtered(lambda view: view.type == "graph")
        self.assertEqual(len(graphs), 3)
        for view in graphs:
            arch = etree.fromstring(view.arch)
            self.assertEqual(arch.get("js_class"), "automation_flow_graph", view.name)
        report_pivot = etree.fromstring(
            self.env.ref("automation_flow.automation_flow_task_report_view_pivot").arch
        )
        self.assertLessEqual(len(report_pivot.xpath("//field[@type='measure']")), 7)
        self.assertFalse(report_pivot.xpath("//field[@type='col']"))
        event_pivot = etree.fromstring(
            self.env.ref("automation_flow.automation_flow_event_report_view_pivot").arch
        )
        self.assertFalse(event_pivot.xpath("//field[@name='event'][@type='col']"))

    def test_states_and_names_read_right(self):
        Flow = self.env["automation.flow"]
        states = dict(Flow._fields["state"]._description_selection(self.env))
        self.assertEqual(states["done"], "Stopped")
        self.assertTrue(Flow._fields["name"].translate)
        self.env["res.lang"]._activate_lang("es_ES")
        flow = self.create_flow(name="Welcome")
        flow.update_field_translations("name", {"es_ES": "Bienvenida"})
        self.assertEqual(flow.with_context(lang="es_ES").name, "Bienvenida")
        self.assertEqual(flow.name, "Welcome")

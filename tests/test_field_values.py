# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import tagged

from .common import AutomationFlowCase


@tagged("post_install", "-at_install")
class TestFieldValues(AutomationFlowCase):
    """Uniqueness on fields Odoo stores as JSON (one value per company or
    per language), read as the ORM reads them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.nickname_field = cls.add_contact_field(
            "x_flow_nickname", "Nickname", "char", translate=True
        )

    def enroll(self, field):
        """Enroll, as someone working in French."""
        flow = self.create_flow(name="Once per value", unique_field_id=field.id)
        self.add_step(flow, "action")
        self.start(flow)
        flow.with_context(lang="fr_FR").action_run()
        return flow

    def assertEnrolled(self, flow, partners, keys):
        enrollments = flow.enrollment_ids
        self.assertEqual(sorted(enrollments.mapped("res_id")), sorted(partners.ids))
        self.assertEqual(sorted(enrollments.mapped("unique_key")), sorted(keys))

    def test_uniqueness_on_a_company_dependent_field(self):
        barcode = self.env.ref("base.field_res_partner__barcode")
        self.assertTrue(self.env["res.partner"]._fields["barcode"].company_dependent)
        self.partners[0].barcode = " AB-1 "
        self.partners[1].barcode = "ab-1"
        self.partners[2].barcode = "CD-2"
        flow = self.enroll(barcode)
        self.assertEnrolled(flow, self.partners[0] | self.partners[2], ["ab-1", "cd-2"])
        self.assertEqual(flow.empty_key_count, 3)

    def test_uniqueness_on_a_translated_field(self):
        English = self.partners.with_context(lang="en_US")
        English[0].x_flow_nickname = "Bo"
        English[1].x_flow_nickname = " bo"
        English[2].x_flow_nickname = "Ann"
        # A translation is another name of the same value, not another key.
        self.partners[1].with_context(lang="fr_FR").x_flow_nickname = "Beau"
        flow = self.enroll(self.nickname_field)
        self.assertEnrolled(flow, self.partners[0] | self.partners[2], ["ann", "bo"])
        self.assertEqual(flow.empty_key_count, 3)
        # A run by someone working in English enrolls no one again.
        flow.with_context(lang="en_US").action_run()
        self.assertEqual(len(flow.enrollment_ids), 2)

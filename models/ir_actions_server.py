# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..exceptions import RetryableTaskError


class IrActionsServer(models.Model):
    """A server action type that pushes its records into a running flow.

    Automation rules (on create, on update, stage set, based on a date…),
    buttons and other flows' action steps use it for event enrollment.
    """

    _inherit = "ir.actions.server"

    state = fields.Selection(
        selection_add=[("automation_flow_enroll", "Enroll in an automation flow")],
        ondelete={"automation_flow_enroll": "cascade"},
    )
    automation_flow_id = fields.Many2one(
        "automation.flow",
        string="Automation flow",
        ondelete="cascade",
        domain="[('model_id', '=', model_id)]",
    )
    # The automation rule of an enroll action, as the flow's "Event
    # enrollment" tab lists it (flow managers cannot read rules).
    automation_rule_trigger = fields.Char("Trigger", compute="_compute_automation_rule")
    automation_rule_pre_domain = fields.Char(
        "Before the update", compute="_compute_automation_rule"
    )
    automation_rule_domain = fields.Char(
        "Records matching", compute="_compute_automation_rule"
    )
    automation_rule_active = fields.Boolean(
        "Rule active", compute="_compute_automation_rule"
    )

    @api.constrains("state", "automation_flow_id", "model_id")
    def _check_automation_flow(self):
        for action in self.filtered(lambda a: a.state == "automation_flow_enroll"):
            if not action.automation_flow_id:
                raise ValidationError(
                    _("Choose the flow the action %s enrolls records in.", action.name)
                )
            if action.automation_flow_id.model_id != action.model_id:
                raise ValidationError(
                    _(
                        "The flow %(flow)s runs on %(flow_model)s: the action "
                        "%(action)s on %(model)s cannot enroll its records.",
                        flow=action.automation_flow_id.name,
                        flow_model=action.automation_flow_id.model_id.name,
                        action=action.name,
                        model=action.model_id.name,
                    )
                )

    @api.depends("automation_flow_id.name")
    def _compute_name(self):
        """base_automation names the actions of rules after their type: an
        enroll action says which flow ("Enroll in flow: Abandoned carts")."""
        result = super()._compute_name()
        for action in self.filtered(
            lambda a: a.base_automation_id and a.state == "automation_flow_enroll"
        ):
            action.name = action.automation_flow_id._enroll_action_name()
        return result

    @api.depends(
        "base_automation_id.active",
        "base_automation_id.trigger",
        "base_automation_id.trigger_field_ids",
        "base_automation_id.trg_date_id",
        "base_automation_id.trg_date_range",
        "base_automation_id.trg_date_range_type",
        "base_automation_id.filter_pre_domain",
        "base_automation_id.filter_domain",
    )
    def _compute_automation_rule(self):
        # sudo: rules are readable by administrators only; these fields show
        # the rule of an action the user may read, in words.
        for action in self:
            rule = action.sudo().base_automation_id
            action.automation_rule_trigger = rule and rule._automation_flow_trigger()
            action.automation_rule_pre_domain = rule.filter_pre_domain or False
            action.automation_rule_domain = rule.filter_domain or False
            action.automation_rule_active = rule.active

    def _automation_flow_rules(self):
        """The rules of these enroll actions, once the user was checked: a
        manager who may write the actions' flows."""
        self.automation_flow_id._check_can_edit_rules()
        # sudo: see _check_can_edit_rules; only rules of enroll actions.
        return (
            self.filtered(lambda a: a.state == "automation_flow_enroll")
            .sudo()
            .base_automation_id
        )

    def action_toggle_automation_rule(self):
        for rule in self._automation_flow_rules():
            rule.active = not rule.active

    def action_remove_automation_rule(self):
        """Remove the enroll actions, and their rules when nothing else is left
        in them."""
        rules = self._automation_flow_rules()
        self.sudo().unlink()
        rules.filtered(lambda rule: not rule.action_server_ids).unlink()

    def action_open_automation_rule(self):
        self.ensure_one()
        rule = self.base_automation_id
        rule.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "base.automation",
            "res_id": rule.id,
            "view_mode": "form",
            "target": "current",
        }

    def _get_eval_context(self, action=None):
        eval_context = super()._get_eval_context(action=action)
        # Code run by a flow step may ask to be retried later.
        eval_context["RetryableTaskError"] = RetryableTaskError
        return eval_context

    def _run_action_automation_flow_enroll_multi(self, eval_context=None):
        records = eval_context.get("records") or eval_context.get("record")
        if records:
            # The flow's domain decides who enters; the action only says when.
            flow = self.automation_flow_id.sudo()
            flow._wake_scheduler(flow._enroll(records.ids))
        return False

    @api.model
    def _automation_flow_uninstall(self):
        """Delete the "Enroll in an automation flow" actions, the flows' steps
        that run them and the automation rules that ran only them.

        Odoo deletes the actions of a removed type, but the steps pointing
        at them blocked it (a foreign key), and their automation rules stayed
        active, warning on every write of their model that the action type
        does not exist. Rules with other actions keep those.
        """
        actions = self.search([("state", "=", "automation_flow_enroll")])
        # Everything of the module goes: the steps of every flow, whatever
        # their flow's state.
        self.env["automation.flow.step"].search(
            [("server_action_id", "in", actions.ids)]
        ).unlink()
        rules = actions.base_automation_id.filtered(
            lambda rule: not rule.action_server_ids - actions
        )
        rules.unlink()
        actions.exists().unlink()

# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

DEFAULT_CONFIRM_THRESHOLD = 1000
MODES = [
    ("start_on_demand", "Start on demand"),
    ("start_periodic", "Start periodic"),
    ("run", "Run now"),
]
# The flow's method each mode calls once confirmed.
ACTIONS = {
    "start_on_demand": "action_start_on_demand",
    "start_periodic": "action_start_periodic",
    "run": "action_run",
}


class AutomationFlowLaunch(models.TransientModel):
    """Ask before Start and Run now, with how many records enter the flow
    and what its first steps do; above ``automation_flow.confirm_threshold``
    records, a second screen asks to type their number.

    The flow's ``action_start*`` and ``action_run`` stay the direct path of
    RPC and code: this dialog only calls them.
    """

    _name = "automation.flow.launch"
    _description = "Confirm the Start or Run of an Automation Flow"

    flow_id = fields.Many2one("automation.flow", required=True, ondelete="cascade")
    mode = fields.Selection(MODES, required=True)
    record_count = fields.Integer(
        "Records to enroll", compute="_compute_summary", store=True
    )
    summary = fields.Html(compute="_compute_summary", store=True, sanitize=False)
    needs_typing = fields.Boolean(compute="_compute_summary", store=True)
    stage = fields.Selection(
        [("summary", "Summary"), ("type_count", "Type the number")],
        default="summary",
        required=True,
    )
    typed_count = fields.Char(
        "Number of records",
        help="Type the number of records the flow enrolls to confirm.",
    )

    @api.depends("flow_id", "mode")
    def _compute_summary(self):
        threshold = self.env["automation.flow.task"]._get_param(
            "confirm_threshold", DEFAULT_CONFIRM_THRESHOLD
        )
        for launch in self:
            flow = launch.flow_id
            if not flow or not launch.mode:
                launch.update(record_count=0, summary=False, needs_typing=False)
                continue
            count = flow._count_candidates()
            launch.record_count = count
            # Starting on demand enrolls nothing: Run now asks again.
            launch.needs_typing = launch.mode != "start_on_demand" and (
                count > threshold
            )
            launch.summary = launch._summary_html(count)

    def _summary_html(self, count):
        """What the launch does, in sentences: how many records enter, then
        what the first steps do, in the words of the step catalogue."""
        self.ensure_one()
        flow = self.flow_id
        values = {
            "count": formatLang(self.env, count, digits=0),
            "model": flow.model_id.name,
        }
        one = count == 1
        if self.mode == "start_on_demand":
            headline = (
                _(
                    "The flow starts: 1 record (%(model)s) matches it now. It "
                    "enters when you press Run now.",
                    **values,
                )
                if one
                else _(
                    "The flow starts: %(count)s records (%(model)s) match it now. "
                    "They enter when you press Run now.",
                    **values,
                )
            )
        elif not count:
            headline = _(
                "No record enters the flow now: the matching records (%(model)s) "
                "are enrolled already, or none matches its domain.",
                **values,
            )
        elif self.mode == "start_periodic":
            headline = (
                _(
                    "This will enroll 1 record (%(model)s) now, then the new "
                    "matching records at every run of the scheduler.",
                    **values,
                )
                if one
                else _(
                    "This will enroll %(count)s records (%(model)s) now, then the "
                    "new matching records at every run of the scheduler.",
                    **values,
                )
            )
        elif one:
            headline = _("This will enroll 1 record (%(model)s) now.", **values)
        else:
            headline = _(
                "This will enroll %(count)s records (%(model)s) now.", **values
            )
        html = Markup("<p>%s</p>") % headline
        steps = flow.step_ids.filtered(lambda step: not step.parent_id)
        if count and steps:
            html += Markup("<p>%s</p><ul>%s</ul>") % (
                _("For each of them, the first steps:"),
                Markup().join(
                    Markup("<li>%s</li>") % step._launch_phrase() for step in steps
                ),
            )
        return html

    def action_confirm(self):
        """Start or run the flow; above the threshold, first the screen that
        asks to type the number of records."""
        self.ensure_one()
        if self.needs_typing and self.stage == "summary":
            self.stage = "type_count"
            return self._reopen()
        # "1,240", "1.240" and "1240" are the same number.
        typed = re.sub(r"\D", "", self.typed_count or "")
        if self.needs_typing and typed != str(self.record_count):
            raise UserError(
                _(
                    "Type %(count)s, the number of records the flow enrolls, "
                    "to confirm.",
                    count=self.record_count,
                )
            )
        flow = self.flow_id
        getattr(flow, ACTIONS[self.mode])()
        return {"type": "ir.actions.act_window_close"}

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": dict(self._fields["mode"]._description_selection(self.env))[
                self.mode
            ],
        }

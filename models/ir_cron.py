# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Lanes: copies of the engine's crons, so that several cron threads (of one
or several Odoo servers on the same database) run flows at once.

Odoo runs a given cron in one thread at a time (``_acquire_one_job`` locks
its row): one cron is one worker, whatever the number of servers. The system
parameter ``automation_flow.scheduler_lanes`` (default 1) keeps that many
copies of each cron of ``LANED_CRONS``; a copy is lane ``n`` of its cron,
known by its external id ``<cron>_lane_<n>``. Lanes of the scheduler take
due tasks with ``FOR UPDATE SKIP LOCKED``, so they never run a task twice;
lanes of the enrollment each enroll their share of the candidates (record id
modulo the number of lanes).
"""

import re

from odoo import _, api, models
from odoo.exceptions import ValidationError

MODULE = "automation_flow"
LANES_PARAM = "automation_flow.scheduler_lanes"
MAX_LANES = 32
LANED_CRONS = ("cron_process_due_tasks", "cron_enroll_periodic")


class IrCron(models.Model):
    _inherit = "ir.cron"

    @api.model
    def _automation_flow_lanes(self, cron):
        """The crons of the lanes of ``cron`` (an external id of this module
        in ``LANED_CRONS``), lane 1 (the cron itself) first.

        Crons are readable by administrators only; the engine wakes and
        counts its own lanes for whoever runs it.
        """
        main = self.sudo().env.ref(f"{MODULE}.{cron}", raise_if_not_found=False)
        if not main:
            return self.sudo().browse()
        lanes = {1: main.id}
        pattern = re.compile(rf"{cron}_lane_(\d+)$")
        for data in (
            self.env["ir.model.data"]
            .sudo()
            .search_read(
                [
                    ("module", "=", MODULE),
                    ("model", "=", "ir.cron"),
                    ("name", "=like", f"{cron}\\_lane\\_%"),
                ],
                ["name", "res_id"],
            )
        ):
            if match := pattern.match(data["name"]):
                lanes[int(match.group(1))] = data["res_id"]
        return self.sudo().browse([lanes[number] for number in sorted(lanes)])

    @api.model
    def _automation_flow_lane(self, cron):
        """``(index, count)``: the lane of ``cron`` this job runs in (from
        0; the cron runner puts the running cron in the context) and the
        number of lanes. Outside a cron job (a button, a test): lane 0 of 1,
        which is all of the work."""
        lanes = self._automation_flow_lanes(cron)
        running = self.env.context.get("cron_id")
        if running not in lanes.ids:
            return 0, 1
        return lanes.ids.index(running), len(lanes)

    @api.model
    def _automation_flow_trigger(self, cron, at=None):
        """Wake every lane of ``cron`` (at ``at``, or now)."""
        for lane in self._automation_flow_lanes(cron):
            lane._trigger(at=at)

    @api.model
    def _automation_flow_sync_lanes(self, value):
        """Create or remove lanes so that each cron of ``LANED_CRONS`` has
        ``value`` (the system parameter's text) of them."""
        try:
            count = int(value or 1)
        except ValueError:
            count = 0
        if not 1 <= count <= MAX_LANES:
            raise ValidationError(
                _(
                    "The system parameter %(param)s must be a whole number of "
                    "lanes between 1 and %(max)s, not %(value)s.",
                    param=LANES_PARAM,
                    max=MAX_LANES,
                    value=value,
                )
            )
        for cron in LANED_CRONS:
            lanes = self._automation_flow_lanes(cron)
            if not lanes:
                continue
            main = lanes[0]
            for number in range(len(lanes) + 1, count + 1):
                self._automation_flow_create_lane(cron, main, number)
            # Odoo refuses to delete a cron while it runs ("This cron task
            # is currently being executed"): the administrator tries again.
            lanes[count:].unlink()

    @api.model
    def _automation_flow_create_lane(self, cron, main, number):
        lane = main.copy(
            {
                "name": _("%(cron)s (lane %(number)s)", cron=main.name, number=number),
                "active": main.active,
                "nextcall": main.nextcall,
            }
        )
        # An external id of the module: the lane is found by its number and
        # removed with the module.
        self.env["ir.model.data"].sudo().create(
            {
                "module": MODULE,
                "name": f"{cron}_lane_{number}",
                "model": "ir.cron",
                "res_id": lane.id,
                "noupdate": True,
            }
        )
        return lane

# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Command

from ..engine.triggers import StepType
from ..reasons import Reason

PEOPLE_MODELS = ("res.users", "res.partner")
# Calendar is not a dependency: attendees are added only where it is installed.
EVENT_MODEL = "calendar.event"


# One file per step type, each extending the step (DESIGN.md, Executors).
class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    step_type = fields.Selection(
        selection_add=[("followers", "Add followers")],
        ondelete={"followers": "cascade"},
    )
    follower_user_ids = fields.Many2many(
        "res.users",
        "automation_flow_step_follower_user_rel",
        "step_id",
        "user_id",
        string="Users to add",
    )
    follower_partner_ids = fields.Many2many(
        "res.partner",
        "automation_flow_step_follower_partner_rel",
        "step_id",
        "partner_id",
        string="Contacts to add",
    )
    follower_field_ids = fields.Many2many(
        "ir.model.fields",
        "automation_flow_step_follower_field_rel",
        "step_id",
        "field_id",
        string="People of the record",
        domain=f"[('model_id', '=', model_id), "
        f"('relation', 'in', {list(PEOPLE_MODELS)}), "
        "('ttype', 'in', ['many2one', 'many2many'])]",
        help="Fields of the record holding users or contacts to add, e.g. the "
        "salesperson or the contact.",
    )
    follower_attendees = fields.Boolean(
        "Invite as attendees",
        help="Calendar events only: the people are also invited to the event.",
    )

    @api.model
    def _get_step_types(self):
        """Adding followers has no event: only "after the previous step"
        follows it."""
        return {**super()._get_step_types(), "followers": StepType(icon="fa-users")}

    def _designer_summary(self):
        if self.step_type != "followers":
            return super()._designer_summary()
        people = ", ".join(
            self.follower_user_ids.mapped("name")
            + (self.follower_partner_ids - self.follower_user_ids.partner_id).mapped(
                "name"
            )
            + self.follower_field_ids.mapped("field_description")
        )
        if self.follower_attendees:
            return _("Add %(people)s as followers and attendees", people=people)
        return _("Add %(people)s as followers", people=people)

    @api.constrains(
        "step_type",
        "follower_user_ids",
        "follower_partner_ids",
        "follower_field_ids",
        "follower_attendees",
        "flow_id",
    )
    def _check_followers(self):
        for step in self.filtered(lambda s: s.step_type == "followers"):
            if not (
                step.follower_user_ids
                or step.follower_partner_ids
                or step.follower_field_ids
            ):
                raise ValidationError(
                    _(
                        "Choose the users, the contacts or the fields of the "
                        "record whose people the step %s adds as followers.",
                        step.name,
                    )
                )
            for field in step.follower_field_ids:
                if field.model_id != step.model_id:
                    step._raise_wrong_model(_("field"), field)
                if field.relation not in PEOPLE_MODELS:
                    raise ValidationError(
                        _(
                            "The field %(field)s of the step %(step)s holds no "
                            "users or contacts: choose a field that does.",
                            field=field.field_description,
                            step=step.name,
                        )
                    )
            if step.follower_attendees and step.model != EVENT_MODEL:
                raise ValidationError(
                    _(
                        "Only calendar events have attendees: untick 'Invite as "
                        "attendees' in the step %s.",
                        step.name,
                    )
                )

    def _execute_followers(self, tasks):
        """Subscribe each record's people: one ``message_subscribe`` per
        distinct set of people (one in all unless the step reads fields of
        the record), and invite them to calendar events."""
        self.ensure_one()
        # The flow adds followers to its records, whoever runs the scheduler
        # (executors run as superuser, see DESIGN.md, Security).
        records = (
            self.env[self.model].sudo().browse(sorted(set(tasks.mapped("res_id"))))
        )
        fixed = self.follower_partner_ids | self.follower_user_ids.partner_id
        groups = defaultdict(list)
        for record in records:
            partners = fixed
            for field in self.follower_field_ids:
                people = record[field.name]
                partners |= people.partner_id if people._name == "res.users" else people
            groups[frozenset(partners.ids)].append(record.id)
        names = {}
        for partner_ids, ids in groups.items():
            group = records.browse(ids)
            group.message_subscribe(partner_ids=list(partner_ids))
            if self.follower_attendees and self.model == EVENT_MODEL:
                group.write(
                    {"partner_ids": [Command.link(pid) for pid in sorted(partner_ids)]}
                )
            label = ", ".join(
                sorted(self.env["res.partner"].browse(partner_ids).mapped("name"))
            )
            names.update(dict.fromkeys(ids, label))
        return {
            task.id: Reason("followers_added", people=names[task.res_id])
            for task in tasks
            if names.get(task.res_id)
        }

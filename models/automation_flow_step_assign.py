# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..engine.triggers import StepType
from ..reasons import Reason

ASSIGN_METHODS = [
    ("round_robin", "By round robin"),
    ("rules", "By rules"),
    ("least_loaded", "To the least loaded"),
]


class AutomationFlowTask(models.Model):
    _inherit = "automation.flow.task"  # pylint: disable=consider-merging-classes-inherited

    # Who an assign step gave the record to: the step's statistics count them.
    assign_user_id = fields.Many2one(
        "res.users", string="Assigned to", readonly=True, ondelete="set null"
    )


# One file per step type, each extending the step (DESIGN.md, Executors).
class AutomationFlowStep(models.Model):
    _inherit = "automation.flow.step"  # pylint: disable=consider-merging-classes-inherited

    step_type = fields.Selection(
        selection_add=[("assign", "Assign a user")],
        ondelete={"assign": "cascade"},
    )
    assign_field_id = fields.Many2one(
        "ir.model.fields",
        string="Field to assign",
        ondelete="cascade",
        domain="[('model_id', '=', model_id), ('relation', '=', 'res.users'), "
        "('ttype', '=', 'many2one'), ('store', '=', True), ('readonly', '=', False)]",
        help="The user field of the record the step sets: the salesperson, the "
        "responsible, the installer…",
    )
    assign_method = fields.Selection(
        ASSIGN_METHODS,
        string="Assign",
        required=True,
        default="round_robin",
        help="By round robin: each user in turn. By rules: the user of the first "
        "rule the record matches. To the least loaded: the user with the fewest "
        "records counted as load.",
    )
    assign_user_ids = fields.Many2many(
        "res.users",
        "automation_flow_step_assign_user_rel",
        "step_id",
        "user_id",
        string="Users",
        domain="[('share', '=', False)]",
        help="Archived users, and users on leave when Time Off is installed, "
        "are passed over.",
    )
    # The next turn of the round robin: taken and advanced by the batch size
    # in one statement (``_assign_take_turns``).
    assign_turn = fields.Integer("Next turn", readonly=True, copy=False, default=0)
    assign_rule_ids = fields.One2many(
        "automation.flow.step.assign.rule",
        "step_id",
        string="Assignment rules",
        copy=True,
    )
    assign_fallback_user_id = fields.Many2one(
        "res.users",
        string="Otherwise assign to",
        domain="[('share', '=', False)]",
        help="Who takes the records no rule matches. Empty: they skip the step "
        "and the steps after it, with the reason.",
    )
    assign_load_domain = fields.Char(
        "Count as load",
        default="[]",
        help="The records of a user that count as their load, e.g. the open "
        "opportunities. Empty: all their records.",
    )

    @api.model
    def _get_step_types(self):
        """An assignment has no event: only "after the previous step"
        follows it."""
        return {**super()._get_step_types(), "assign": StepType(icon="fa-user-plus")}

    def _designer_summary(self):
        if self.step_type != "assign":
            return super()._designer_summary()
        field = self.assign_field_id.field_description or _("a user")
        users = ", ".join(self.assign_user_ids.mapped("name"))
        if self.assign_method == "round_robin":
            return _(
                "Assign %(users)s as %(field)s by round robin",
                users=users,
                field=field,
            )
        if self.assign_method == "least_loaded":
            return _(
                "Assign the least loaded of %(users)s as %(field)s",
                users=users,
                field=field,
            )
        count = len(self.assign_rule_ids)
        # Singular and plural apart: "1 rules" reads wrong in any language.
        rules = _("1 rule") if count == 1 else _("%s rules", count)
        if self.assign_fallback_user_id:
            return _(
                "Assign the %(field)s by %(rules)s, otherwise %(user)s",
                field=field,
                rules=rules,
                user=self.assign_fallback_user_id.name,
            )
        return _(
            "Assign the %(field)s by %(rules)s, otherwise skip",
            field=field,
            rules=rules,
        )

    def _designer_events(self):
        """How many records each user was given (one grouped query)."""
        if self.step_type != "assign":
            return super()._designer_events()
        if not self._origin.id:
            return []
        # Every record of the step, as its counters count them.
        counts = (
            self.env["automation.flow.task"]
            .sudo()
            ._read_group(
                [
                    ("step_id", "=", self._origin.id),
                    ("is_test", "=", False),
                    ("assign_user_id", "!=", False),
                ],
                ["assign_user_id"],
                ["__count"],
            )
        )
        return [
            self._designer_event(
                f"assigned_{user.id}", user.name, count, icon="fa-user"
            )
            for user, count in sorted(counts, key=lambda row: (-row[1], row[0].name))
        ]

    @api.constrains(
        "step_type",
        "assign_field_id",
        "assign_method",
        "assign_user_ids",
        "assign_rule_ids",
        "assign_fallback_user_id",
        "assign_load_domain",
        "flow_id",
    )
    def _check_assign(self):
        for step in self.filtered(lambda s: s.step_type == "assign"):
            field = step.assign_field_id
            if not field:
                raise ValidationError(
                    _("Choose the user field the step %s sets.", step.name)
                )
            if field.model_id != step.model_id:
                step._raise_wrong_model(_("user field"), field)
            if field.ttype != "many2one" or field.relation != "res.users":
                raise ValidationError(
                    _(
                        "The field %(field)s of the step %(step)s is not a user "
                        "field: choose a field that holds a user.",
                        field=field.field_description,
                        step=step.name,
                    )
                )
            # The users of the rules are checked by the rules.
            users = step.assign_user_ids | step.assign_fallback_user_id
            if users.filtered("share"):
                raise ValidationError(
                    _(
                        "Only internal users can be assigned: remove %(users)s "
                        "from the step %(step)s.",
                        users=", ".join(users.filtered("share").mapped("name")),
                        step=step.name,
                    )
                )
            if step.assign_method == "rules":
                if not step.assign_rule_ids:
                    raise ValidationError(
                        _(
                            "Add the assignment rules of the step %s: each "
                            "gives the records matching its domain to its user.",
                            step.name,
                        )
                    )
            elif not step.assign_user_ids:
                raise ValidationError(
                    _("Choose the users the step %s assigns.", step.name)
                )
            if step.assign_method == "least_loaded":
                step._get_assign_load_domain()

    def _get_assign_load_domain(self):
        """The records that count as a user's load, evaluated now as the
        flow's domains are."""
        self.ensure_one()
        return self.with_context(automation_flow_assign_load=True)._eval_domain(
            self.assign_load_domain, self.model, self.flow_id.user_id
        )

    def _domain_error(self, reason):
        if self.env.context.get("automation_flow_assign_load"):
            return _(
                "The load counted by the step %(step)s of the flow %(flow)s "
                "cannot be used: %(reason)s",
                step=self.name,
                flow=self.flow_id.name,
                reason=reason,
            )
        return super()._domain_error(reason)

    def _assign_available(self, users):
        """The users that may be given records now: active, internal, and
        not on leave when Time Off (hr_holidays) is installed."""
        users = users.with_context(active_test=False).filtered(
            lambda user: user.active and not user.share
        )
        if "is_absent" in users._fields:
            users = users.filtered(lambda user: not user.is_absent)
        return users

    def _execution_error(self):
        error = super()._execution_error()
        if (
            error
            or self.step_type != "assign"
            or self.assign_method == "rules"
            or self._assign_available(self.assign_user_ids)
        ):
            return error
        return Reason("assign_no_user", step=self.name)

    def _execute_assign(self, tasks):
        """Give each record a user, write the user field once per user, and
        return who was assigned for the journeys. Records no rule matches
        (and no fallback user takes) skip the step with the reason."""
        self.ensure_one()
        res_ids = sorted(set(tasks.mapped("res_id")))
        assignees = getattr(self, f"_assign_by_{self.assign_method}")(res_ids)
        by_user = defaultdict(list)
        for res_id, user in assignees.items():
            by_user[user].append(res_id)
        # The flow assigns, whoever runs the scheduler (executors run as
        # superuser, see DESIGN.md, Security).
        Model = self.env[self.model].sudo()
        for user, ids in by_user.items():
            Model.browse(ids).write({self.assign_field_id.name: user.id})
        unassigned = tasks.filtered(lambda task: task.res_id not in assignees)
        unassigned._set_skipped(Reason("assign_no_rule"))
        assigned = tasks - unassigned
        assigned._write_links(
            assign_user_id=[assignees[task.res_id].id for task in assigned]
        )
        return {
            task.id: Reason("assigned", user=assignees[task.res_id].name)
            for task in assigned
        }

    def _assign_by_round_robin(self, res_ids):
        """Each record to the next user in turn, in the order of ``res_ids``."""
        users = self._assign_available(self.assign_user_ids)
        first = self._assign_take_turns(len(res_ids))
        return {
            res_id: users[(first + index) % len(users)]
            for index, res_id in enumerate(res_ids)
        }

    def _assign_take_turns(self, count):
        """Take ``count`` consecutive turns of the round robin; return the
        first one.

        One ``UPDATE … RETURNING`` advances the step's turn by ``count``: the
        row stays locked until the batch commits, so a concurrent batch waits
        and takes the turns after these (or, when its snapshot is older, gets
        a serialization failure and the scheduler runs it again later). Two
        batches never take the same turns, and a batch rolled back gives its
        turns back.
        """
        self.ensure_one()
        self.flush_recordset(["assign_turn"])
        self.env.cr.execute(
            SQL(
                """UPDATE automation_flow_step
                   SET assign_turn = assign_turn + %(count)s
                   WHERE id = %(id)s
                   RETURNING assign_turn - %(count)s""",
                count=count,
                id=self.id,
            )
        )
        self.invalidate_recordset(["assign_turn"])
        return self.env.cr.fetchone()[0]

    def _assign_by_rules(self, res_ids):
        """Each record to the user of the first rule it matches: one search
        per rule for the records no earlier rule took."""
        # As the flow's own domain: read as the flow's responsible.
        Model = self.flow_id._responsible_model()
        assignees, remaining = {}, list(res_ids)
        for rule in self.assign_rule_ids:
            user = self._assign_available(rule.user_id)
            if not remaining:
                break
            if not user:
                continue
            matching = set(
                Model.search([("id", "in", remaining)] + rule._get_domain()).ids
            )
            assignees.update(dict.fromkeys(matching, user))
            remaining = [res_id for res_id in remaining if res_id not in matching]
        fallback = self._assign_available(self.assign_fallback_user_id)
        if fallback:
            assignees.update(dict.fromkeys(remaining, fallback))
        return assignees

    def _assign_by_least_loaded(self, res_ids):
        """Each record to the user with the fewest records counted as load:
        one grouped count for the batch, then counted on as it assigns. The
        records of the batch do not count: they are being assigned."""
        users = self._assign_available(self.assign_user_ids)
        field = self.assign_field_id.name
        Model = self.flow_id._responsible_model()
        load = dict.fromkeys(users.ids, 0)
        for user, count in Model._read_group(
            [(field, "in", users.ids), ("id", "not in", res_ids)]
            + self._get_assign_load_domain(),
            [field],
            ["__count"],
        ):
            load[user.id] = count
        rank = {user_id: index for index, user_id in enumerate(users.ids)}
        assignees = {}
        for res_id in res_ids:
            user_id = min(load, key=lambda u: (load[u], rank[u]))
            load[user_id] += 1
            assignees[res_id] = users.browse(user_id)
        return assignees

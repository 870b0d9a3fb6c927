# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

from . import mail_rows
from .batch_defaults import BATCH_DEFAULTS


class MailFollowers(models.Model):
    _inherit = "mail.followers"

    @api.model_create_multi
    def create(self, vals_list):
        """The followers a flow's batch subscribes (the assignees of its
        activities, one row per record) are inserted without the ORM's work
        per record, as the batch's messages and mails are (``mail_rows.py``);
        all others, and any batch the fast path does not reproduce, go
        through Odoo's ``create``."""
        if self.env.context.get(BATCH_DEFAULTS) and mail_rows.takes_fast_path(
            self, vals_list
        ):
            followers = mail_rows.insert_rows(self, vals_list)
            # What mail's own ``create`` adds.
            followers._invalidate_documents(vals_list)
            return followers
        return super().create(vals_list)

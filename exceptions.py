# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import UserError


class AutomationFlowError(UserError):
    """Base of the engine's own exceptions.

    A ``UserError``, so that it crosses ``safe_eval`` unchanged when raised by
    the code of a server action, and its message reaches the user as is.
    """


class RetryableTaskError(AutomationFlowError):
    """The step could not run now but may later (a remote service is down…).

    Raised by an executor, or by the code of a server action step (it is in
    their evaluation context), it schedules the task again after ``seconds``,
    or after the step type's retry pattern when ``seconds`` is None. After
    the step's maximum of attempts the task ends in error.
    """

    def __init__(self, message, seconds=None):
        super().__init__(message)
        self.seconds = seconds

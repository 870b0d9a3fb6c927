# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).


def uninstall_hook(env):
    """Before the module's data and tables go: remove what would outlive it
    broken (see ``ir.actions.server._automation_flow_uninstall``)."""
    env["ir.actions.server"]._automation_flow_uninstall()

# Copyright 2026 automation_flow contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Automation Flow",
    "summary": "Automate processes on any record: flows of emails, activities "
    "and server actions driven by time and by what people do",
    "version": "18.0.1.0.0",
    "category": "Productivity",
    "website": "https://github.com/automation-flow/automation_flow",
    "author": "automation_flow contributors",
    "license": "LGPL-3",
    "development_status": "Beta",
    "maintainers": ["automation-flow"],
    "application": True,
    "installable": True,
    "depends": ["mail", "link_tracker", "base_automation", "resource"],
    "data": [
        "security/automation_flow_security.xml",
        "security/ir.model.access.csv",
        "data/ir_config_parameter_data.xml",
        "data/ir_cron_data.xml",
        "data/automation_flow_approval_data.xml",
        "data/automation_flow_unsubscribe_data.xml",
        "views/automation_flow_tag_views.xml",
        "views/automation_flow_filter_views.xml",
        "views/automation_flow_step_views.xml",
        "views/automation_flow_task_views.xml",
        "views/automation_flow_task_report_views.xml",
        "views/automation_flow_event_report_views.xml",
        "views/automation_flow_enrollment_views.xml",
        "views/automation_flow_views.xml",
        "views/automation_flow_window_views.xml",
        "views/automation_flow_webhook_views.xml",
        "views/automation_flow_consent_views.xml",
        "views/automation_flow_approval_views.xml",
        "views/ir_actions_server_views.xml",
        "views/automation_flow_menus.xml",
        "wizards/automation_flow_test_views.xml",
        "wizards/automation_flow_launch_views.xml",
        "wizards/automation_flow_step_preview_views.xml",
        "wizards/automation_flow_step_delete_views.xml",
        "wizards/automation_flow_approval_decide_views.xml",
        "wizards/automation_flow_rule_preset_views.xml",
        "wizards/automation_flow_export_views.xml",
        "wizards/automation_flow_import_views.xml",
    ],
    "uninstall_hook": "uninstall_hook",
    "demo": [
        "demo/automation_flow_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "automation_flow/static/src/components/**/*",
        ],
        # Views extending the graph view, loaded with it.
        "web.assets_backend_lazy": [
            "automation_flow/static/src/views/**/*",
        ],
        "web.assets_tests": [
            "automation_flow/static/tests/tours/**/*",
        ],
    },
}

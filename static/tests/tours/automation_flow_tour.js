import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_service/tour_utils";

/**
 * A user draws a flow on contacts: its domain, an email step and an
 * "opened" child with a delay; starts it on demand, runs it, and reads the
 * counts in the statistics.
 */
registry.category("web_tour.tours").add("automation_flow_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Automation app",
            trigger:
                '.o_app[data-menu-xmlid="automation_flow.menu_automation_flow_root"]',
            run: "click",
        },
        {
            content: "Create a flow",
            trigger: ".o_control_panel_main_buttons button.o-kanban-button-new",
            run: "click",
        },
        {
            content: "Name it",
            trigger: ".o_field_widget[name=name] input",
            run: "edit Tour welcome",
        },
        {
            content: "Choose the model",
            trigger: ".o_field_widget[name=model_id] input",
            run: "edit Contact",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Contact)",
            run: "click",
        },
        {
            content: "Add a rule to the domain",
            trigger: ".o_field_widget[name=domain] a:contains(New Rule)",
            run: "click",
        },
        {
            content: "Choose the field of the rule",
            trigger: ".o_field_widget[name=domain] .o_model_field_selector",
            run: "click",
        },
        {
            trigger: ".o_model_field_selector_popover_search input",
            run: "edit Email",
        },
        {
            trigger: ".o_model_field_selector_popover_item_name:contains(Email)",
            run: "click",
        },
        {
            content: "Emails that contain…",
            trigger:
                ".o_field_widget[name=domain] .o_tree_editor_condition > .o_tree_editor_editor:nth-child(2) select",
            run: `select "ilike"`,
        },
        {
            content: "… the tour's domain",
            trigger:
                ".o_field_widget[name=domain] .o_tree_editor_condition > .o_tree_editor_editor:nth-child(3) input",
            run: "edit tour.automation && click .oe_title label",
        },
        {
            content: "The live count shows the matching contacts",
            trigger: ".o_field_widget[name=domain] button:contains(2 record)",
        },
        {
            content: "Add the first step: the flow is saved",
            trigger: ".o_automation_flow_add_root",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit Welcome email",
        },
        {
            trigger: ".modal .o_field_widget[name=step_type] select",
            run: 'select "email"',
        },
        {
            trigger: ".modal .o_field_widget[name=mail_template_id] input",
            run: "edit Tour welcome",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Tour welcome)",
            run: "click",
        },
        {
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The email step is drawn",
            trigger: ".o_automation_flow_step_name:contains(Welcome email)",
        },
        {
            content: "Open the add-step menu of the email",
            trigger:
                ".o_automation_flow_step:has(.o_automation_flow_step_name:contains(Welcome email)) .o_automation_flow_add_step",
            run: "click",
        },
        {
            content: "Only triggers that fit an email are offered",
            trigger:
                ".o-dropdown--menu:not(:has(.o_automation_flow_add_activity_done)) .o_automation_flow_add_email_opened",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit Call the interested",
        },
        {
            trigger: ".modal .o_field_widget[name=step_type] select",
            run: 'select "activity"',
        },
        {
            trigger: ".modal .o_field_widget[name=activity_type_id] input",
            run: "edit Call",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Call)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=activity_user_id] input",
            run: "edit Admin",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Admin)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=delay] input",
            run: "edit 2",
        },
        {
            trigger: ".modal .o_field_widget[name=delay_unit] select",
            run: 'select "days"',
        },
        {
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The child says when it runs, in words",
            trigger:
                '.o_automation_flow_step[data-depth="1"] .o_automation_flow_step_schedule:contains(2 days after the email is opened)',
        },
        {
            content: "Start on demand",
            trigger: "button[name=action_confirm_start_on_demand]",
            run: "click",
        },
        {
            content: "Starting says how many records match, before anything",
            trigger:
                ".modal .o_automation_flow_launch_summary:contains(2 records (Contact) match it now)",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "Run now",
            trigger: "body:not(:has(.modal)) button[name=action_confirm_run]",
            run: "click",
        },
        {
            content: "Run now says it enrolls two records and sends the first email",
            trigger:
                ".modal .o_automation_flow_launch_summary:contains(This will enroll 2 records (Contact) now.):contains(“Welcome email”):contains(At enrollment)",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The email step has its two scheduled tasks",
            trigger:
                ".o_automation_flow_step_counters a[data-state=scheduled]:contains(2)",
        },
        {
            content: "Test the flow with a record",
            trigger: "button[name=action_test]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=res_id] input",
            run: "edit Tour Ann",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Tour Ann)",
            run: "click",
        },
        {
            trigger: ".modal button[name=action_enroll]",
            run: "click",
        },
        {
            content: "The test enrollment's first task is scheduled",
            trigger:
                ".modal .o_field_widget[name=task_ids] .o_data_row:contains(Welcome email):contains(Scheduled)",
        },
        {
            trigger: ".modal button[name=action_run_next]",
            run: "click",
        },
        {
            content: "The email is done, its child waits for the opening",
            trigger:
                ".modal .o_field_widget[name=task_ids]:has(.o_data_row:contains(Welcome email):contains(Done)) .o_data_row:contains(Call the interested):contains(Waiting)",
        },
        {
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            content: "Test tasks stay out of the counters",
            trigger:
                "body:not(:has(.modal)) .o_automation_flow_step_counters:not(:has(a[data-state=done])) a[data-state=scheduled]:contains(2)",
        },
        {
            content: "Open the statistics",
            trigger: "button[name=action_view_statistics]",
            run: "click",
        },
        {
            content: "The graph is drawn, the scheduled tasks in their own colour",
            trigger: ".o_graph_view .o_graph_canvas_container canvas",
            run() {
                const chart = window.Chart.getChart(
                    document.querySelector(".o_graph_canvas_container canvas")
                );
                const scheduled = chart.data.datasets.find(
                    (dataset) => dataset.label === "Scheduled"
                );
                if (!scheduled || scheduled.backgroundColor !== "#3b82f6") {
                    throw new Error("The scheduled tasks are not in their colour");
                }
            },
        },
        {
            content: "Switch to the pivot to read the counts",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "Two tasks are scheduled",
            trigger: ".o_pivot table tbody tr:first-child td:contains(2)",
        },
    ],
});

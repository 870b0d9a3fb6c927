import {registry} from "@web/core/registry";

/**
 * A manager adds an enrollment rule from the flow's "Event enrollment" tab:
 * the story "a field is set to a value", the field, the value; the tab then
 * lists the rule, its action named after the flow.
 */
registry.category("web_tour.tours").add("automation_flow_rule_preset_tour", {
    steps: () => [
        {
            trigger: ".o_notebook .nav-link:contains(Event enrollment)",
            run: "click",
        },
        {
            content: "No rule yet",
            trigger: ".o_field_widget[name=enroll_action_ids]:not(:has(.o_data_row))",
        },
        {
            trigger: "button[name=action_create_automation_rule]",
            run: "click",
        },
        {
            content: "Pick the story",
            trigger: ".modal .o_field_widget[name=preset] input[data-value=field_set]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=field_id] input",
            run: "edit Job Position",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Job Position)",
            run: "click",
        },
        {
            content: "The value, typed as the field's",
            trigger: ".modal .o_field_widget[name=value_char] input",
            run: "edit Buyer",
        },
        {
            trigger: ".modal .modal-footer button:contains(Create the rule)",
            run: "click",
        },
        {
            content: "The tab lists the rule, named after the flow",
            trigger:
                "body:not(:has(.modal)) .o_field_widget[name=enroll_action_ids] .o_data_row:contains(Enroll in flow: Tour preset):contains(Job Position)",
        },
    ],
});

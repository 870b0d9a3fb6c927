import {registry} from "@web/core/registry";

/**
 * A manager adds an "Update the record" step to a flow with the field
 * picker: the line's value widget follows the chosen field (a tag to add).
 */
registry.category("web_tour.tours").add("automation_flow_update_tour", {
    steps: () => [
        {
            content: "Add the first step",
            trigger: ".o_automation_flow_add_root",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit Qualify",
        },
        {
            trigger: ".modal .o_field_widget[name=step_type] select",
            run: 'select "update"',
        },
        {
            content: "Add a line",
            trigger:
                ".modal .o_field_widget[name=update_line_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Pick the field",
            trigger:
                ".modal .o_field_widget[name=update_line_ids] .o_data_row .o_field_widget[name=field_id] input",
            run: "edit Tags",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Tags)",
            run: "click",
        },
        {
            content: "Add a tag",
            trigger: ".modal .o_data_row .o_field_widget[name=operation] select",
            run: 'select "add"',
        },
        {
            content: "The value is a tag, picked among the tags",
            trigger: ".modal .o_data_row .o_field_widget[name=value_res_id] input",
            run: "edit Tour VIP",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Tour VIP)",
            run: "click",
        },
        {
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The card says what the step does",
            trigger: ".o_automation_flow_step_summary:contains(Add Tour VIP to Tags)",
        },
    ],
});

import {registry} from "@web/core/registry";

/**
 * Launching safely: Start and Run now ask first with the number of records
 * (and, above the threshold, to type it); the email step's preview and
 * "Send to me"; the test dialog's dry run, and both branches of an opened /
 * not-opened pair walked by simulation.
 */
const tours = registry.category("web_tour.tours");

tours.add("automation_flow_launch_tour", {
    steps: () => [
        {
            content: "Start on demand",
            trigger: "button[name=action_confirm_start_on_demand]",
            run: "click",
        },
        {
            content: "It says how many records match before starting",
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
            content: "It says what Run now does, with the first email",
            trigger:
                ".modal .o_automation_flow_launch_summary:contains(This will enroll 2 records (Contact) now.):contains(“Welcome”: Send Tour welcome — At enrollment)",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "Above the threshold, a second screen asks to type the number",
            trigger: ".modal .o_field_widget[name=typed_count] input",
            run: "edit 2",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The flow's counters show the two records enrolled",
            trigger:
                "body:not(:has(.modal)) .o_automation_flow_step_counters a[data-state=scheduled]:contains(2)",
        },
    ],
});

tours.add("automation_flow_preview_tour", {
    steps: () => [
        {
            content: "Preview the email step",
            trigger: "button[name=action_preview_email]",
            run: "click",
        },
        {
            content: "Pick a record: only the flow's records are offered",
            trigger: ".modal .o_field_widget[name=res_id] input",
            run: "edit Tour",
        },
        {
            trigger:
                ".o-autocomplete--dropdown-menu:has(a:contains(Tour Ann)):not(:has(a:contains(Tour Outsider)))",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Tour Ann)",
            run: "click",
        },
        {
            content: "The rendered email: subject, recipients, attachment, body",
            trigger: ".modal .o_field_widget[name=subject]:contains(Welcome Tour Ann)",
        },
        {
            trigger:
                ".modal .o_field_widget[name=recipients]:contains(ann@tour.automation.example.com)",
        },
        {
            trigger: ".modal .o_field_widget[name=attachments]:contains(terms.pdf)",
        },
        {
            trigger: ".modal .o_automation_flow_preview_body:contains(Dear Tour Ann)",
        },
        {
            content: "Send it to me",
            trigger: ".modal button[name=action_send_to_me]",
            run: "click",
        },
        {
            content: "Sent to my own address",
            trigger: ".modal .alert-success:contains(A test copy was sent to)",
        },
        {
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

/** Pick ``name`` in the many2one ``field`` of the dialog. */
function pick(field, name) {
    return [
        {
            trigger: `.modal .o_field_widget[name=${field}] input`,
            run: `edit ${name}`,
        },
        {
            trigger: `.o-autocomplete--dropdown-item a:contains(${name})`,
            run: "click",
        },
    ];
}

function row(step, state) {
    return `.o_field_widget[name=task_ids] .o_data_row:contains(${step}):contains(${state})`;
}

tours.add("automation_flow_test_tour", {
    steps: () => [
        {
            content: "Test with a record",
            trigger: "button[name=action_test]",
            run: "click",
        },
        ...pick("res_id", "Tour Ann"),
        {
            content: "A dry run first",
            trigger: ".modal button[name=action_dry_run]",
            run: "click",
        },
        {
            content: "What would happen: the email and its subject, the waits",
            trigger:
                ".modal .o_field_widget[name=dry_run_line_ids] .o_data_row:contains(Welcome):contains(Welcome Tour Ann)",
        },
        {
            trigger:
                ".modal .o_field_widget[name=dry_run_line_ids] .o_data_row:contains(Call):contains(Waits for: Email opened)",
        },
        {
            content: "Now for real: enroll",
            trigger: ".modal button[name=action_enroll]",
            run: "click",
        },
        {
            trigger: ".modal " + row("Welcome", "Scheduled"),
        },
        {
            trigger: ".modal button[name=action_run_next]",
            run: "click",
        },
        {
            content: "The email is done and queued, its children wait",
            trigger: `.modal ${row("Welcome", "Done")}:contains(Queued)`,
        },
        {
            content: "Its preview link",
            trigger: `.modal ${row("Welcome", "Done")} button[name=action_preview_email]`,
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=subject]:contains(Welcome Tour Ann)",
        },
        {
            trigger: ".modal button[name=action_back_to_test]",
            run: "click",
        },
        {
            content: "Simulate the opening of the email",
            trigger: ".modal .o_field_widget[name=simulate_task_id] input",
            run: "edit Welcome",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Welcome)",
            run: "click",
        },
        {
            content: "The events that fit the email are listed",
            trigger: ".modal .o_field_widget[name=simulate_options]:contains(Opened)",
        },
        {
            trigger: ".modal .o_field_widget[name=simulate_event] select",
            run: 'select "event:opened"',
        },
        {
            trigger: ".modal button[name=action_simulate]",
            run: "click",
        },
        {
            content: "Opened: the call is scheduled, the reminder cancelled",
            trigger: `.modal:has(${row("Reminder", "Cancelled")}) ${row("Call", "Scheduled")}`,
        },
        {
            content: "Now the other branch",
            trigger: ".modal button[name=action_test_again]",
            run: "click",
        },
        {
            trigger: ".modal button[name=action_enroll]",
            run: "click",
        },
        {
            trigger: ".modal " + row("Welcome", "Scheduled"),
        },
        {
            trigger: ".modal button[name=action_run_next]",
            run: "click",
        },
        {
            trigger: ".modal " + row("Welcome", "Done"),
        },
        {
            content: "Nobody opens it: the reminder runs",
            trigger: ".modal button[name=action_run_next]",
            run: "click",
        },
        {
            content: "Not opened: the reminder is done, the call still waits",
            trigger: `.modal:has(${row("Reminder", "Done")}) ${row("Call", "Waiting")}`,
        },
        {
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

tours.add("automation_flow_dry_run_tour", {
    steps: () => [
        {
            content: "Test with a record",
            trigger: "button[name=action_test]",
            run: "click",
        },
        ...pick("res_id", "Tour Bob"),
        {
            trigger: ".modal button[name=action_dry_run]",
            run: "click",
        },
        {
            content: "The report says what each step would do",
            trigger:
                ".modal .o_field_widget[name=dry_run_line_ids] .o_data_row:contains(Reminder):contains(Done)",
        },
        {
            trigger:
                ".modal .o_field_widget[name=dry_run_line_ids] .o_data_row:contains(Welcome):contains(bob@tour.automation.example.com)",
        },
        {
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

tours.add("automation_flow_step_removal_tour", {
    steps: () => [
        {
            content: "Remove the email step, which has a history",
            trigger:
                ".o_automation_flow_step:contains(Welcome) .o_automation_flow_delete_step",
            run: "click",
        },
        {
            content: "The dialog counts what the step and those after it hold",
            trigger:
                ".modal .o_automation_flow_step_history:has(.o_field_widget[name=record_count]:contains(2)):has(.o_field_widget[name=step_count]:contains(2))",
        },
        {
            content: "Archiving is the default",
            trigger:
                ".modal .o_field_widget[name=mode] input[data-value=archive]:checked",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The designer no longer shows the step",
            trigger:
                "body:not(:has(.modal)) .o_form_view:not(:has(.o_automation_flow_step:contains(Welcome)))",
        },
    ],
});

import {registry} from "@web/core/registry";

/**
 * The statistics of a flow whose emails were sent and opened: the designer's
 * card, the flow's statistics page and the events per day.
 */
registry.category("web_tour.tours").add("automation_flow_statistics_tour", {
    steps: () => [
        {
            content: "The email card shows what people did, with rates",
            trigger:
                ".o_automation_flow_step_events:has([data-event=sent]:contains(Sent: 2)) [data-event=opened]:contains(Opened: 1):contains(50%)",
        },
        {
            content: "Open the email step",
            trigger: ".o_automation_flow_step_name:contains(Welcome)",
            run: "click",
        },
        {
            content: "Its funnel: 2 sent, 1 opened (50% of the sent)",
            trigger:
                ".modal .o_automation_flow_email_funnel:has(.o_automation_flow_funnel_stage[data-stage=sent]:contains(2)) .o_automation_flow_funnel_stage[data-stage=opened]:contains(50)",
        },
        {
            content: "Close the step",
            trigger: ".modal .o_form_button_cancel",
            run: "click",
        },
        {
            content: "Open the flow's statistics",
            trigger: ".o_notebook a[name=statistics]",
            run: "click",
        },
        {
            content: "The flow's open rate",
            trigger: ".o_field_widget[name=email_open_rate]:contains(50)",
        },
        {
            content: "Each email step's funnel",
            trigger:
                ".o_automation_flow_email_steps .o_data_row:contains(Welcome) [name=email_opened_count]:contains(1)",
        },
        {
            content: "Graph the events per day",
            trigger: "button[name=action_view_event_statistics]",
            run: "click",
        },
        {
            content: "The graph of events is drawn, each event in its own colour",
            trigger: ".o_graph_view .o_graph_canvas_container canvas",
            run() {
                const chart = window.Chart.getChart(
                    document.querySelector(".o_graph_canvas_container canvas")
                );
                const colors = Object.fromEntries(
                    chart.data.datasets.map((dataset) => [
                        dataset.label,
                        dataset.borderColor,
                    ])
                );
                if (colors.Sent !== "#3b82f6" || colors.Opened !== "#06b6d4") {
                    throw new Error(
                        `Events in the wrong colours: ${JSON.stringify(colors)}`
                    );
                }
            },
        },
        {
            content: "Switch to the pivot to read the events",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "The opens are counted",
            trigger: ".o_pivot table tbody th:contains(Opened)",
        },
    ],
});

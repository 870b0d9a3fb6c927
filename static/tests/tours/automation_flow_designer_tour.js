import {registry} from "@web/core/registry";

function cards() {
    return [...document.querySelectorAll(".o_automation_flow_step")];
}

/**
 * A flow of 100 steps (a drip of emails, activities and actions with a few
 * "opened" branches) opened in the designer: it draws them as one column
 * with the branches one level in, wide cards saying what each step does,
 * folds and unfolds; the time to open and to draw is logged.
 */
registry.category("web_tour.tours").add("automation_flow_designer_tour", {
    steps: () => [
        {
            content: "Open the flow of 100 steps from the list",
            trigger: ".o_kanban_record:contains(Drip of 100)",
            run(helpers) {
                window.automationFlowOpenedAt = performance.now();
                helpers.click();
            },
        },
        {
            content: "Every step is drawn",
            trigger: ".o_automation_flow_step_tree[data-render-ms]",
            run() {
                const opened = performance.now() - window.automationFlowOpenedAt;
                const tree = document.querySelector(".o_automation_flow_step_tree");
                const all = cards();
                if (all.length !== 100) {
                    throw new Error(`100 cards expected, ${all.length} drawn`);
                }
                const depth = Math.max(
                    ...all.map((card) => Number(card.dataset.depth))
                );
                if (depth > 1) {
                    throw new Error(
                        `A drip with branches one level in: depth ${depth}`
                    );
                }
                const widths = all
                    .filter((card) => card.dataset.depth === "0")
                    .map((card) => card.getBoundingClientRect().width);
                if (
                    Math.min(...widths) < 480 ||
                    Math.max(...widths) !== Math.min(...widths)
                ) {
                    throw new Error(
                        `The column's cards are ${widths.join(", ")} px wide`
                    );
                }
                const branchWidths = all
                    .filter((card) => card.dataset.depth === "1")
                    .map((card) => card.getBoundingClientRect().width);
                if (Math.max(...branchWidths) >= widths[0]) {
                    throw new Error("A branch's cards go past the column's");
                }
                console.log(
                    `automation_flow designer: 100 steps opened in ${Math.round(opened)} ms ` +
                        `(server ${tree.dataset.loadMs} ms, drawing ${tree.dataset.renderMs} ms), ` +
                        `cards ${Math.round(widths[0])} px wide, depth ${depth}, ` +
                        `tree ${Math.round(tree.getBoundingClientRect().height)} px tall`
                );
                // Generous: ten times what a loaded laptop takes.
                if (Number(tree.dataset.renderMs) > 5000) {
                    throw new Error(
                        `Drawing 100 steps took ${tree.dataset.renderMs} ms`
                    );
                }
            },
        },
        {
            content: "Each card says what its step does, not only when",
            trigger:
                ".o_automation_flow_step:has(.o_automation_flow_step_name:contains(Drip 1)) .o_automation_flow_step_summary:contains(Send Drip letter)",
        },
        {
            content: "An activity card names its assignee",
            trigger: ".o_automation_flow_step_summary:contains(To-Do for Drip Dana)",
        },
        {
            content: "A branch is headed by its event",
            trigger:
                '.o_automation_flow_step[data-depth="1"] .o_automation_flow_branch_label:contains(Email opened)',
        },
        {
            content: "Fold everything below the first step",
            trigger:
                ".o_automation_flow_step:has(.o_automation_flow_step_name:contains(Drip 1)) .o_automation_flow_toggle",
            run: "click",
        },
        {
            content: "One card left, saying how many steps it hides",
            trigger: ".o_automation_flow_hidden:contains(99 steps folded below)",
            run() {
                if (cards().length !== 1) {
                    throw new Error(`1 card expected, ${cards().length} drawn`);
                }
                window.automationFlowOpenedAt = performance.now();
            },
        },
        {
            content: "Unfold all",
            trigger: ".o_automation_flow_expand_all",
            run: "click",
        },
        {
            content: "The 100 cards are back",
            trigger:
                ".o_automation_flow_step:has(.o_automation_flow_step_name:contains(Drip 90))",
            run() {
                if (cards().length !== 100) {
                    throw new Error(`100 cards expected, ${cards().length} drawn`);
                }
            },
        },
        {
            content: "Fold the branches: the column stays",
            trigger: ".o_automation_flow_collapse_branches",
            run: "click",
        },
        {
            content: "The branches keep their first card",
            trigger:
                ".o_automation_flow_step_tree:has(.o_automation_flow_step_name:contains(Drip 90))",
            run() {
                const count = cards().length;
                console.log(
                    `automation_flow designer: ${count} cards with the branches folded`
                );
            },
        },
    ],
});

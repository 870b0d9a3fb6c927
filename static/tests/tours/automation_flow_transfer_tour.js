import {registry} from "@web/core/registry";
import {rpc} from "@web/core/network/rpc";

/**
 * Export a flow as a file from its form's action menu, then import that
 * file from Configuration ▸ Import flows and open the flow it created.
 */
let exported = null;

registry.category("web_tour.tours").add("automation_flow_transfer_tour", {
    steps: () => [
        {
            content: "The flow's form is open",
            trigger: ".o_breadcrumb:contains(Tour export)",
        },
        {
            content: "Open the action menu",
            trigger: ".o_cp_action_menus button:has(.fa-cog)",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .o_menu_item:contains(Export as a file)",
            run: "click",
        },
        {
            content: "The file is ready to download",
            trigger: ".modal .o_field_widget[name=file]:contains(Tour_export.json)",
            async run() {
                // What the download link serves, read as the browser would.
                const [wizard] = await rpc(
                    "/web/dataset/call_kw/automation.flow.export/search_read",
                    {
                        model: "automation.flow.export",
                        method: "search_read",
                        args: [[], ["file", "filename"]],
                        kwargs: {order: "id desc", limit: 1},
                    }
                );
                const response = await fetch(
                    `/web/content?model=automation.flow.export&id=${wizard.id}&field=file&download=true`
                );
                exported = await response.blob();
                if (!(await exported.text()).includes('"format": "automation_flow"')) {
                    throw new Error("The download is not a flow export");
                }
            },
        },
        {
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            content: "Go to the import",
            trigger: ".o_main_navbar .dropdown-toggle:contains(Configuration)",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .dropdown-item:contains(Import flows)",
            run: "click",
        },
        {
            content: "Upload the exported file",
            trigger: ".modal .o_field_widget[name=file]",
            run() {
                // The file input is hidden behind the "Upload your file" button.
                const input = this.anchor.querySelector("input[type=file]");
                const file = new File([exported], "Tour_export.json", {
                    type: "application/json",
                });
                const transfer = new DataTransfer();
                transfer.items.add(file);
                input.files = transfer.files;
                input.dispatchEvent(new Event("change", {bubbles: true}));
            },
        },
        {
            content: "The file is uploaded",
            trigger: ".modal .o_field_widget[name=file] .fa-trash",
        },
        {
            trigger: ".modal .modal-footer button:contains(Import)",
            run: "click",
        },
        {
            content: "The report says what was found and created",
            trigger: ".modal .o_field_widget[name=report]:contains(Flow Tour export)",
        },
        {
            trigger: ".modal .modal-footer button:contains(Open the imported flows)",
            run: "click",
        },
        {
            content: "The imported flow's form",
            trigger: "body:not(:has(.modal)) .o_breadcrumb:contains(Tour export)",
        },
    ],
});

import {Domain} from "@web/core/domain";
import {Many2OneReferenceField} from "@web/views/fields/many2one_reference/many2one_reference_field";
import {registry} from "@web/core/registry";

/**
 * A record of the model a field names (many2one_reference), picked among the
 * records a domain held by another field of the form matches:
 * options="{'domain_field': 'record_domain'}". The test and preview dialogs
 * of flows offer only the records that match the flow.
 */
export class RecordPicker extends Many2OneReferenceField {
    static props = {...Many2OneReferenceField.props, domainField: String};

    get m2oProps() {
        // eslint-disable-next-line no-unused-vars
        const {domainField, ...props} = super.m2oProps;
        const text = this.props.record.data[this.props.domainField] || "[]";
        return {...props, domain: () => new Domain(text).toList()};
    }
}

const many2oneReference = registry.category("fields").get("many2one_reference");

registry.category("fields").add("automation_flow_record_picker", {
    ...many2oneReference,
    component: RecordPicker,
    extractProps: (fieldInfo, dynamicInfo) => ({
        ...many2oneReference.extractProps(fieldInfo, dynamicInfo),
        domainField: fieldInfo.options.domain_field,
    }),
});

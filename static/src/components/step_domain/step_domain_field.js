import {DomainField, domainField} from "@web/views/fields/domain/domain_field";
import {Domain} from "@web/core/domain";
import {registry} from "@web/core/registry";

/**
 * The domain of a step: its live count and the records it shows are those
 * that can reach the step, i.e. that match the flow's domain (its saved
 * filter and company included, as the server evaluates them) as well.
 */
export class StepDomainField extends DomainField {
    setup() {
        // Flow id -> its evaluated domain, read once per flow.
        this.flowDomains = {};
        super.setup();
    }

    flowId(props = this.props) {
        const flow = props.record.data.flow_id;
        return flow && flow[0];
    }

    async checkProps(props = this.props) {
        const flowId = this.flowId(props);
        if (flowId && !(flowId in this.flowDomains)) {
            try {
                this.flowDomains[flowId] = await this.orm.silent.call(
                    "automation.flow",
                    "get_records_domain",
                    [[flowId]]
                );
            } catch {
                // A flow whose domain cannot be used says so on its own form.
                this.flowDomains[flowId] = [];
            }
        }
        return super.checkProps(props);
    }

    getEvaluatedDomain(props = this.props) {
        const domain = super.getEvaluatedDomain(props);
        const flowDomain = this.flowDomains[this.flowId(props)];
        if (domain.isInvalid || !flowDomain || !flowDomain.length) {
            return domain;
        }
        return Domain.and([flowDomain, domain]).toList();
    }
}

registry.category("fields").add("automation_flow_step_domain", {
    ...domainField,
    component: StepDomainField,
});

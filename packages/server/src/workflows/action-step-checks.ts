import { builtInIntegrations, templatePlaceholders } from '@switchboard/catalog';
import { actionInputProblem, actionInputValueProblem } from '../catalog/action-inputs.js';
import type { ProjectIntegration } from '../catalog/integration-store.js';
import { findAction } from './step-actions.js';

/** Whether a value holds a `{{…}}` variable anywhere: it is only known when the run reaches the step. */
function holdsVariables(value: unknown): boolean {
  if (typeof value === 'string') return templatePlaceholders(value).length > 0;
  if (Array.isArray(value)) return value.some(holdsVariables);
  if (value !== null && typeof value === 'object') return Object.values(value).some(holdsVariables);
  return false;
}

/**
 * What an Action step gets wrong that is known before it runs: an action the integration does not declare, an input
 * the action does not have, a required input missing; and, for inputs without variables, any schema error. The field
 * is below the step (`action`, `input.channel`).
 */
export function actionStepProblem(integration: ProjectIntegration, name: string, input: Record<string, unknown>): { field: string; message: string } | undefined {
  const action = findAction(integration, name);
  if (!action) {
    const declared = (integration.definition.actions ?? []).map((known) => known.name);
    const elsewhere = builtInIntegrations.find((definition) => definition.actions?.some((known) => known.name === name));
    const hint = elsewhere && elsewhere.type !== integration.type ? ` (it is an action of ${elsewhere.type})` : '';
    const choices = declared.length > 0 ? `; its actions are ${declared.join(', ')}` : '; it declares no actions';
    return { field: 'action', message: `${name} is no action of ${integration.type}${hint}${choices}` };
  }
  const schema = action.inputSchema;
  if (schema.additionalProperties === false) {
    const unknown = Object.keys(input).find((key) => !(key in schema.properties));
    if (unknown) return { field: `input.${unknown}`, message: `is not an input of ${name}: its inputs are ${Object.keys(schema.properties).join(', ') || 'none'}` };
  }
  const missing = (schema.required ?? []).find((key) => input[key] === undefined);
  if (missing) return { field: `input.${missing}`, message: `is required by ${name}` };
  // An input holding a variable is only known at run time: the step checks it then. The others are checked now.
  const fixed = Object.entries(input).filter(([, value]) => !holdsVariables(value));
  const problem =
    fixed.length === Object.keys(input).length
      ? actionInputProblem(action, input)
      : fixed.map(([key, value]) => actionInputValueProblem(action, key, value)).find((found) => found !== undefined);
  return problem && { field: problem.field, message: `${problem.message} (${name})` };
}

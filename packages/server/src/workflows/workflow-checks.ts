import type { WorkflowDefinition } from '@switchboard/wire';
import type { AppContext } from '../app-context.js';
import { findIntegration, type ProjectIntegration } from '../catalog/integration-store.js';
import { apiError } from '../errors.js';
import { findAppEvent } from './app-event-store.js';
import { actionStepProblem } from './action-step-checks.js';
import { definitionProblem, walkSteps } from './workflow-definition.js';

/**
 * A definition as the management API receives it, checked whole before anything is stored: its shape and meaning
 * (workflow-definition.ts), then what it names in the project: its integration, its app event, its actions.
 */
export async function checkedDefinition(
  context: AppContext,
  projectId: string,
  body: unknown,
  schemaError: Error | undefined,
): Promise<{ definition: WorkflowDefinition; integration: ProjectIntegration }> {
  const problem = definitionProblem(body);
  if (problem) throw apiError('INVALID_WORKFLOW', `${problem.field} ${problem.message}`, { field: problem.field });
  // The step-by-step check is the stricter of the two; should the route schema still disagree, its word stands.
  if (schemaError) throw apiError('INVALID_WORKFLOW', schemaError.message);
  const definition = body as WorkflowDefinition;

  const integration = await findIntegration(context.db, projectId, { type: definition.integration });
  if (!integration) throw apiError('INVALID_WORKFLOW', `integration ${definition.integration} is not in this project`, { field: 'integration' });
  if (definition.trigger.type === 'appEvent' && !(await findAppEvent(context.db, projectId, definition.trigger.event))) {
    throw apiError('INVALID_WORKFLOW', `trigger.event names no app event of this project: define ${JSON.stringify(definition.trigger.event)} first`, {
      field: 'trigger.event',
    });
  }
  for (const { step, path } of walkSteps(definition.steps)) {
    if (step.type !== 'action') continue;
    const problem = actionStepProblem(integration, step.action, step.input ?? {});
    if (problem) throw apiError('INVALID_WORKFLOW', `${path}.${problem.field} ${problem.message}`, { field: `${path}.${problem.field}` });
  }
  return { definition, integration };
}

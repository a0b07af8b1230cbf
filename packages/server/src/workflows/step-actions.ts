import { fillPlaceholders, templatePlaceholders, type IntegrationAction } from '@switchboard/catalog';
import type { AppContext } from '../app-context.js';
import { actionInputProblem } from '../catalog/action-inputs.js';
import type { ProjectIntegration } from '../catalog/integration-store.js';
import type { TokenRefresher } from '../credentials/token-refresh.js';
import { readPath } from '../providers/json-path.js';
import type { CredentialRow } from '../storage/schema.js';
import { callIntegration, StepFailure, type StepRequest, type StepResponse } from './step-requests.js';
import { redact } from './variables.js';

/**
 * Action steps: an action the integration declares (define-action.ts in the catalog) turned into a request of the
 * integration's API, sent through the same call as a Request step (its credential, refresh and retry rules), and its
 * answer mapped to the step's output.
 */

export function findAction(integration: ProjectIntegration, name: string): IntegrationAction | undefined {
  return integration.definition.actions?.find((action) => action.name === name);
}

const ONE_PLACEHOLDER = /^\{\{\s*[\w.-]+\s*\}\}$/;
const absent = (value: unknown) => value === undefined || value === null;
const text = (value: unknown): string =>
  typeof value === 'string' ? value : Array.isArray(value) && value.every((item) => typeof item !== 'object') ? value.join(',') : typeof value === 'object' ? JSON.stringify(value) : String(value);

/** A template tree with the input's values in: a lone placeholder keeps its value's type; an absent one drops its key. */
function fillBody(template: unknown, input: Record<string, unknown>): unknown {
  if (typeof template === 'string') {
    const names = templatePlaceholders(template);
    if (names.length === 0) return template;
    if (names.some((name) => absent(readPath(input, name)))) return undefined;
    return names.length === 1 && ONE_PLACEHOLDER.test(template.trim()) ? readPath(input, names[0]!) : fillPlaceholders(template, (name) => text(readPath(input, name)));
  }
  if (Array.isArray(template)) return template.map((item) => fillBody(item, input)).filter((item) => item !== undefined);
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).flatMap(([key, item]) => {
      const value = fillBody(item, input);
      return value === undefined ? [] : [[key, value]];
    }));
  }
  return template;
}

/** The request an action makes with this input (already checked against its schema). */
export function actionRequest(action: IntegrationAction, input: Record<string, unknown>): StepRequest {
  const path = fillPlaceholders(action.path, (name) => encodeURIComponent(text(readPath(input, name) ?? '')));
  const query: Record<string, string> = {};
  for (const [name, template] of Object.entries(action.query ?? {})) {
    if (templatePlaceholders(template).some((placeholder) => absent(readPath(input, placeholder)))) continue;
    query[name] = fillPlaceholders(template, (placeholder) => text(readPath(input, placeholder)));
  }
  const body = action.body === undefined ? undefined : fillBody(action.body, input);
  return { method: action.method, path, ...(Object.keys(query).length > 0 && { query }), ...(body !== undefined && { body }) };
}

/** What of the answer the step gives on: the paths `output` names, or the whole body. */
export function actionOutput(action: IntegrationAction, answer: StepResponse): unknown {
  const body = answer.body;
  if (action.okPath !== undefined && readPath(body, action.okPath) !== true) {
    const reason = readPath(body, action.errorPath ?? 'error');
    throw new StepFailure('ACTION_FAILED', `${action.name}: the API answered ${typeof reason === 'string' ? reason : 'a failure'}`, false);
  }
  if (action.output === undefined) return body;
  if (typeof action.output === 'string') return readPath(body, action.output) ?? null;
  return Object.fromEntries(Object.entries(action.output).flatMap(([key, path]) => {
    const value = readPath(body, path);
    return value === undefined ? [] : [[key, value]];
  }));
}

/** The provider's own words for an error answer, when it gives some in a usual place; short, one line. */
function providerReason(body: unknown): string | undefined {
  const candidates = [
    readPath(body, 'message'),
    readPath(body, 'error.message'),
    readPath(body, 'error_description'),
    readPath(body, 'error'),
    readPath(body, '0.message'),
    readPath(body, 'errors.0.message'),
    typeof body === 'string' ? body : undefined,
  ];
  const found = candidates.find((value): value is string => typeof value === 'string' && value.trim() !== '');
  return found?.replace(/\s+/g, ' ').trim().slice(0, 300);
}

/**
 * Runs an action for the run's account: the input checked against the action's schema (a clear error naming the
 * input), then one call of the integration's API through the Request step's path.
 */
export async function performAction(
  context: AppContext,
  refresher: TokenRefresher,
  target: { integration: ProjectIntegration; credential: CredentialRow; allowPrivate: boolean },
  name: string,
  input: unknown,
  options: { idempotencyKey: string; timeoutMs: number; secrets: Record<string, string> },
): Promise<unknown> {
  const action = findAction(target.integration, name);
  // The definition was checked on write; the integration's actions may have changed since (a custom one edited).
  if (!action) throw new StepFailure('ACTION_NOT_FOUND', `${target.integration.type} declares no action ${name}`, false);
  const problem = actionInputProblem(action, input);
  if (problem) throw new StepFailure('ACTION_INPUT_INVALID', `${name} ${problem.field} ${problem.message}`, false);
  try {
    const call = { idempotencyKey: options.idempotencyKey, timeoutMs: options.timeoutMs };
    return actionOutput(action, await callIntegration(context, refresher, target, actionRequest(action, input as Record<string, unknown>), call));
  } catch (error) {
    if (error instanceof StepFailure && error.code === 'ACTION_FAILED') throw new StepFailure(error.code, redact(error.message, options.secrets) as string, error.retryable);
    if (error instanceof StepFailure && error.answer) {
      // A provider may echo what it was sent: a project secret in an input stays out of the history.
      const reason = redact(providerReason(error.answer.body), options.secrets) as string | undefined;
      throw new StepFailure(error.code, `${name}: the API answered ${error.answer.status}${reason ? `: ${reason}` : ''}`, error.retryable);
    }
    throw error;
  }
}

/**
 * Integration actions, declared as data: one call to the provider's API with named, schema-checked inputs, as a
 * workflow's Action step runs it (and, later, an agent). The server's generic engine reads these fields; nothing
 * about one provider's actions lives in the server.
 *
 * Templates here fill `{{name}}` placeholders from the step's input, `name` being an input property or a dotted
 * path below one (`{{record.Name}}`):
 *   - `path`: each placeholder must be a required input; its value is URL-encoded into the path.
 *   - `query`: a parameter whose template names an absent input is left out; values are written as text.
 *   - `body`: a JSON value; a string that is one placeholder alone takes the input's value as it is (a number stays
 *     a number, an object an object); a key whose value names an absent input is left out.
 */

import { templatePlaceholders } from './template-syntax.js';

/** A JSON Schema (draft-07 / 2019-09 vocabulary) of an action's input: an object with named properties. */
export interface ActionInputSchema {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties?: boolean;
  [keyword: string]: unknown;
}

export interface IntegrationAction {
  /** Upper snake case, prefixed with the provider: `SLACK_SEND_MESSAGE`. Unique in its integration. */
  name: string;
  /** Short, for people: "Send a message". */
  title: string;
  /** What it does and what it answers, for people and agents choosing a tool. */
  description: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Template, relative to the integration's `api.baseUrl`: `/repos/{{owner}}/{{repo}}/issues`. */
  path: string;
  /** The JSON Schema the step's input must meet, checked once its variables are filled in. */
  inputSchema: ActionInputSchema;
  /** Query parameter name -> template. */
  query?: Record<string, string>;
  /** The JSON body, a template tree. */
  body?: unknown;
  /**
   * What of the provider's answer is the step's output: a dotted path into its JSON body (`channels`), an object of
   * such paths (`{ id: 'id', nextCursor: 'response_metadata.next_cursor' }`), or the whole body without it.
   */
  output?: string | Record<string, string>;
  /**
   * A boolean the provider sets to false on failure while answering HTTP 200 (Slack's `ok`); the action then fails
   * with the text at `errorPath` (default `error`).
   */
  okPath?: string;
  errorPath?: string;
}

export const ACTION_NAME_PATTERN = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const PATH_OR_KEY = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;

/** What is wrong with one declared action: its index, the field at fault and why. */
export interface ActionProblem {
  index: number;
  field: string;
  message: string;
}

/** Every string of a template tree. */
function* templateStrings(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* templateStrings(item);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) yield* templateStrings(item);
}

/**
 * The declarations' invariants the engine relies on: unique names, templates naming declared inputs, path inputs
 * required, output paths well formed. Whether `inputSchema` is a valid JSON Schema is the server's check (it compiles it).
 */
export function actionProblems(actions: readonly IntegrationAction[]): ActionProblem[] {
  const problems: ActionProblem[] = [];
  const seen = new Set<string>();
  actions.forEach((action, index) => {
    const problem = (field: string, message: string) => problems.push({ index, field, message: `action ${action.name || index}: ${message}` });
    if (!ACTION_NAME_PATTERN.test(action.name ?? '')) problem('name', 'name must be upper snake case with a provider prefix, e.g. SLACK_SEND_MESSAGE');
    if (seen.has(action.name)) problem('name', `name ${action.name} repeats`);
    seen.add(action.name);
    if (!action.title?.trim()) problem('title', 'needs a title');
    if (!action.description?.trim()) problem('description', 'needs a description');
    if (!METHODS.includes(action.method)) problem('method', `method must be one of ${METHODS.join(', ')}`);
    if (typeof action.path !== 'string' || !action.path.startsWith('/')) problem('path', 'path must start with /');
    const input = action.inputSchema;
    if (input?.type !== 'object' || input.properties === null || typeof input.properties !== 'object' || Array.isArray(input.properties)) {
      problem('inputSchema', 'inputSchema must be a JSON Schema of type object with properties');
      return;
    }
    const declared = new Set(Object.keys(input.properties));
    const required = new Set(input.required ?? []);
    for (const name of required) if (!declared.has(name)) problem('inputSchema.required', `required input ${name} is not among the properties`);
    const check = (field: string, template: string, mustBeRequired: boolean) => {
      for (const name of templatePlaceholders(template)) {
        const root = name.split('.')[0]!;
        if (!declared.has(root)) problem(field, `{{${name}}} names no input property`);
        else if (mustBeRequired && !required.has(root)) problem(field, `{{${name}}} is in the path, so input ${root} must be required`);
      }
    };
    check('path', action.path ?? '', true);
    for (const [name, template] of Object.entries(action.query ?? {})) check(`query.${name}`, template, false);
    for (const template of templateStrings(action.body)) check('body', template, false);
    if (action.body !== undefined && action.method === 'GET') problem('body', 'a GET action sends no body');
    const outputs = typeof action.output === 'string' ? [action.output] : Object.values(action.output ?? {});
    for (const path of outputs) if (typeof path !== 'string' || !PATH_OR_KEY.test(path)) problem('output', `output path ${String(path)} must be a dotted path such as data.id`);
    if (action.okPath !== undefined && !PATH_OR_KEY.test(action.okPath)) problem('okPath', 'okPath must be a dotted path');
  });
  return problems;
}

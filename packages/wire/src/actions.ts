import { Type, type Static } from '@sinclair/typebox';
import { JsonObject } from './common.js';

/**
 * Integration actions: named calls to an integration's API with a JSON Schema of their input, declared as data in the
 * catalog (packages/catalog/src/define-action.ts) or in a custom integration, run by a workflow's Action step.
 */

const Template = Type.String({ maxLength: 2_000 });

/** One action as the catalog declares it and the management API lists it. */
export const IntegrationAction = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$', maxLength: 100, description: 'Upper snake case with a provider prefix: SLACK_SEND_MESSAGE' }),
    title: Type.String({ minLength: 1, maxLength: 100 }),
    description: Type.String({ minLength: 1, maxLength: 2_000 }),
    method: Type.Union(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((method) => Type.Literal(method))),
    path: Type.String({ minLength: 1, maxLength: 2_000, description: "Relative to the integration's API base URL; {{input}} placeholders are URL-encoded" }),
    inputSchema: Type.Object(
      { type: Type.Literal('object'), properties: JsonObject },
      { additionalProperties: true, description: "A JSON Schema of type object: the step's input must meet it once its variables are filled in" },
    ),
    query: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Template, { maxProperties: 50 })),
    body: Type.Optional(Type.Unknown({ description: 'A JSON template: a string that is one {{input}} alone takes its value as it is' })),
    output: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.String({ minLength: 1, maxLength: 200 }), { maxProperties: 50 })], {
        description: 'What of the answer is the output: a dotted path into its body, or an object of paths; the whole body without it',
      }),
    ),
    okPath: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "A boolean false on failure though the answer is 200 (Slack's ok)" })),
    errorPath: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type IntegrationAction = Static<typeof IntegrationAction>;

/** An action as a tool an agent or a language model calls (the function-calling shape): its name, what it does, its input. */
export const ActionTool = Type.Object({
  type: Type.Literal('function'),
  function: Type.Object({ name: Type.String(), title: Type.String(), description: Type.String(), parameters: JsonObject }),
});
export type ActionTool = Static<typeof ActionTool>;

/** `GET /projects/:id/sdk/actions`: the actions of each integration the user has connected, by integration type. */
export const ActionToolList = Type.Object({ actions: Type.Record(Type.String(), Type.Array(ActionTool)) });
export type ActionToolList = Static<typeof ActionToolList>;

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { JsonObject, Timestamp } from './common.js';
import { CustomInputField } from './management.js';

/**
 * Workflows: a trigger and a tree of steps, stored as versioned JSON. Strings in a step may hold variables:
 * `{{trigger.…}}`, `{{steps.<id>.output.…}}`, `{{user.meta.…}}`, `{{settings.<id>}}`, `{{secrets.<name>}}`, and
 * inside a fan-out `{{item…}}` and `{{index}}` (docs/workflows.md).
 */

/** A step's id: how later steps name its output (`{{steps.<id>.output}}`). */
export const StepId = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$', description: 'Unique in the workflow' });

const HttpMethod = Type.Union(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((method) => Type.Literal(method)));
const Text = (maxLength: number) => Type.String({ maxLength });
const StringMap = Type.Record(Type.String({ maxLength: 200 }), Text(8_000), { maxProperties: 100 });

/** Automatic retries of a step (off without this): 5 tries by default, waiting about 10, 20, 30, 50 and 80 seconds. */
export const StepRetry = Type.Object(
  {
    attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: 'Tries in all, the first included; default 5' })),
    backoffSeconds: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 86_400 }), { minItems: 1, maxItems: 10 })),
  },
  { additionalProperties: false },
);

const common = {
  id: StepId,
  name: Type.Optional(Type.String({ maxLength: 100, description: 'What the step does, shown in run history and the editor' })),
  timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600 })),
  retry: Type.Optional(StepRetry),
};

/** A comparison, or `all` / `any` / `not` of others. `left` is usually a variable; `right` a value or variable. */
export const Condition = Type.Recursive(
  (This) =>
    Type.Union([
      Type.Object({ all: Type.Array(This, { minItems: 1, maxItems: 20 }) }, { additionalProperties: false }),
      Type.Object({ any: Type.Array(This, { minItems: 1, maxItems: 20 }) }, { additionalProperties: false }),
      Type.Object({ not: This }, { additionalProperties: false }),
      Type.Object(
        {
          left: Text(2_000),
          operator: Type.Union(
            ['equals', 'notEquals', 'contains', 'notContains', 'greaterThan', 'lessThan', 'exists', 'notExists', 'isTrue', 'isFalse'].map((name) =>
              Type.Literal(name),
            ),
          ),
          right: Type.Optional(Type.Unknown()),
        },
        { additionalProperties: false },
      ),
    ]),
  { $id: 'WorkflowCondition' },
);
export type Condition = Static<typeof Condition>;

/** The step kinds, each an object with its own `type`; `steps` arrays nest (conditional branches, fan-out). */
function stepVariants(Steps: TSchema) {
  return {
    /** A call to the integration's API (`path`, through the Proxy API's engine and the run's account) or to any `url`. */
    request: Type.Object(
      {
        ...common,
        type: Type.Literal('request'),
        method: HttpMethod,
        path: Type.Optional(Type.String({ minLength: 1, maxLength: 2_000, description: "Relative to the integration's API base URL" })),
        url: Type.Optional(Type.String({ minLength: 1, maxLength: 2_000, description: 'Any https URL; private addresses are refused' })),
        query: Type.Optional(StringMap),
        headers: Type.Optional(StringMap),
        body: Type.Optional(Type.Unknown()),
      },
      { additionalProperties: false },
    ),
    /** One of the integration's actions from the catalog, by name. */
    action: Type.Object(
      { ...common, type: Type.Literal('action'), action: Type.String({ minLength: 1, maxLength: 100 }), input: Type.Optional(JsonObject) },
      { additionalProperties: false },
    ),
    /** JavaScript run in a sandbox with no network or file access: a function of `input`, whose result is the output. */
    function: Type.Object(
      { ...common, type: Type.Literal('function'), code: Type.String({ minLength: 1, maxLength: 65_536 }), input: Type.Optional(JsonObject) },
      { additionalProperties: false },
    ),
    conditional: Type.Object(
      { ...common, type: Type.Literal('conditional'), if: Condition, then: Steps, else: Type.Optional(Steps) },
      { additionalProperties: false },
    ),
    /** The branch's steps once for each item of an array, at most `concurrency` at a time; the run waits for all. */
    fanOut: Type.Object(
      {
        ...common,
        type: Type.Literal('fanOut'),
        items: Type.String({ minLength: 1, maxLength: 2_000, description: 'A variable holding an array, e.g. {{steps.list.output.items}}' }),
        concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
        steps: Steps,
      },
      { additionalProperties: false },
    ),
    /** Waits, durably: the run shows WAITING and survives restarts. */
    delay: Type.Object(
      { ...common, type: Type.Literal('delay'), seconds: Type.Integer({ minimum: 1, maximum: 30 * 86_400 }) },
      { additionalProperties: false },
    ),
    /** The answer to a Request trigger's HTTP call. */
    response: Type.Object(
      {
        ...common,
        type: Type.Literal('response'),
        status: Type.Optional(Type.Integer({ minimum: 200, maximum: 599 })),
        headers: Type.Optional(StringMap),
        body: Type.Optional(Type.Unknown()),
      },
      { additionalProperties: false },
    ),
  };
}

export const MAX_STEPS = 200;

/** One step of any kind. */
export const Step = Type.Recursive(
  (This) => Type.Union(Object.values(stepVariants(Type.Array(This, { minItems: 1, maxItems: 100 })))),
  { $id: 'WorkflowStep' },
);
export type Step = Static<typeof Step>;
export type StepType = Step['type'];

/**
 * Each kind on its own, with nested step lists left open: the server checks one step at a time with these, so an
 * error names the step and property at fault rather than every kind the step is not.
 */
export const StepVariants = stepVariants(Type.Array(Type.Unknown(), { minItems: 1, maxItems: 100 }));
export const STEP_TYPES = Object.keys(StepVariants) as StepType[];

/** What starts a run. */
export const Trigger = Type.Union([
  Type.Object({ type: Type.Literal('appEvent'), event: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
  Type.Object(
    { type: Type.Literal('request'), timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 120, description: 'How long the caller waits for the Response step; default 30' })) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('schedule'),
      cron: Type.String({ minLength: 9, maxLength: 100, description: 'Five fields: minute hour day-of-month month day-of-week' }),
      timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'An IANA time zone; default UTC' })),
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('integrationEnabled') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('webhook') }, { additionalProperties: false }),
]);
export type Trigger = Static<typeof Trigger>;
export type TriggerType = Trigger['type'];

/** A setting the user gives when they enable the workflow (the Connect Portal asks for it); steps read `{{settings.<id>}}`. */
export const WorkflowSetting = Type.Omit(CustomInputField, ['secret'], { additionalProperties: false });
export type WorkflowSetting = Static<typeof WorkflowSetting>;

/** A workflow's definition: what `switchboard workflows pull` writes to a file and `push` reads back. */
export const WorkflowDefinition = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    description: Type.Optional(Type.String({ maxLength: 2_000 })),
    /** The integration the workflow belongs to, by type (`slack`, `custom.crm`); its runs use a user's account of it. */
    integration: Type.String({ minLength: 1, maxLength: 120 }),
    trigger: Trigger,
    steps: Type.Array(Step, { minItems: 1, maxItems: 100 }),
    settings: Type.Optional(Type.Array(WorkflowSetting, { maxItems: 50 })),
    /** Enabled for a user as soon as they connect the integration (they may turn it off). */
    defaultEnabled: Type.Optional(Type.Boolean()),
    /** The whole run's limit; default 1 hour, at most 30 days and a day (delays count). */
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 31 * 86_400 })),
  },
  { additionalProperties: false, $id: 'WorkflowDefinition' },
);
export type WorkflowDefinition = Static<typeof WorkflowDefinition>;

/** A workflow as the management API shows it. */
export const Workflow = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  integrationId: Type.String(),
  /** Runs start only while it is active and has a published version. */
  isActive: Type.Boolean(),
  /** The version that runs; null until the first publish. */
  publishedVersion: Type.Union([Type.Integer(), Type.Null()]),
  /** The latest version written; it runs once published. */
  latestVersion: Type.Integer(),
  /** The latest version's definition (the draft when it is newer than the published one). */
  definition: WorkflowDefinition,
  /**
   * For a workflow whose (latest) trigger is a Webhook: its address. Each account that enables it has its own URL
   * below it, `<webhookUrl>/<token>` (…/webhook-urls lists them); null for other triggers.
   */
  webhookUrl: Type.Union([Type.String(), Type.Null()]),
  dateCreated: Timestamp,
  dateUpdated: Timestamp,
});
export type Workflow = Static<typeof Workflow>;

/** One account's webhook URL for a workflow with a Webhook trigger: POST to it starts a run for that account. */
export const WorkflowWebhookUrl = Type.Object({
  credentialId: Type.String(),
  /** The connected user's id in your app. */
  userId: Type.String(),
  url: Type.String(),
  /** False while the user has the workflow turned off: the URL then answers 409 WORKFLOW_NOT_ENABLED. */
  enabled: Type.Boolean(),
});
export type WorkflowWebhookUrl = Static<typeof WorkflowWebhookUrl>;

/** What a webhook URL answers at once (202): the run it started. */
export const WebhookAccepted = Type.Object({ runId: Type.String() });
export type WebhookAccepted = Static<typeof WebhookAccepted>;

/** One entry of a workflow's history. */
export const WorkflowVersion = Type.Object({
  version: Type.Integer(),
  definition: WorkflowDefinition,
  dateCreated: Timestamp,
  /** When this version last became the published one; null if it never was. */
  datePublished: Type.Union([Timestamp, Type.Null()]),
  isPublished: Type.Boolean(),
});
export type WorkflowVersion = Static<typeof WorkflowVersion>;

/** `POST …/workflows/:id/rollback`: publish an earlier version again. */
export const WorkflowRollback = Type.Object({ version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

/** An app event the customer's app sends: its name, the JSON Schema of its payload, a sample for the editor. */
export const AppEventInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f]+$' }),
    /** Not enforced on incoming events (the reference product does not either); the editor's variable picker reads it. */
    schema: Type.Optional(JsonObject),
    samplePayload: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export type AppEventInput = Static<typeof AppEventInput>;

export const AppEvent = Type.Object({
  id: Type.String(),
  name: Type.String(),
  schema: JsonObject,
  samplePayload: Type.Unknown(),
  dateCreated: Timestamp,
  dateUpdated: Timestamp,
});
export type AppEvent = Static<typeof AppEvent>;

/** A project environment secret, as listed: its name only. Steps read the value as `{{secrets.<name>}}`. */
export const ProjectSecret = Type.Object({ name: Type.String(), dateCreated: Timestamp, dateUpdated: Timestamp });
export type ProjectSecret = Static<typeof ProjectSecret>;

export const SecretName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' });
export const ProjectSecretInput = Type.Object({ value: Type.String({ minLength: 1, maxLength: 16_384 }) }, { additionalProperties: false });

export const RunStatus = Type.Union([
  Type.Literal('QUEUED'),
  Type.Literal('RUNNING'),
  Type.Literal('WAITING'),
  Type.Literal('SUCCEEDED'),
  Type.Literal('FAILED'),
  Type.Literal('CANCELLED'),
]);
export type RunStatus = Static<typeof RunStatus>;

const RunError = Type.Object({ code: Type.String(), message: Type.String(), stepKey: Type.Optional(Type.String()) });

/** One run of a workflow for one connected user, as the task history shows it. */
export const WorkflowRun = Type.Object({
  id: Type.String(),
  workflowId: Type.String(),
  workflowVersion: Type.Integer(),
  /** The connected user's id in the customer's app (the user token's `sub`). */
  userId: Type.String(),
  credentialId: Type.Union([Type.String(), Type.Null()]),
  triggerType: Type.String(),
  status: RunStatus,
  error: Type.Union([RunError, Type.Null()]),
  dateCreated: Timestamp,
  dateStarted: Type.Union([Timestamp, Type.Null()]),
  dateFinished: Type.Union([Timestamp, Type.Null()]),
});
export type WorkflowRun = Static<typeof WorkflowRun>;

/** A step of a run: what it was given, what it gave, how long it took. Secrets and tokens are redacted. */
export const WorkflowRunStep = Type.Object({
  /** The step's place in the run: its id, or `<fanOutId>[<index>].<id>` inside a fan-out. */
  key: Type.String(),
  stepId: Type.String(),
  status: Type.String(),
  input: Type.Unknown(),
  output: Type.Unknown(),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  attempts: Type.Integer(),
  dateStarted: Timestamp,
  dateFinished: Type.Union([Timestamp, Type.Null()]),
});
export type WorkflowRunStep = Static<typeof WorkflowRunStep>;

export const WorkflowRunDetail = Type.Composite([WorkflowRun, Type.Object({ trigger: Type.Unknown(), steps: Type.Array(WorkflowRunStep) })]);
export type WorkflowRunDetail = Static<typeof WorkflowRunDetail>;

export const WorkflowRunsPage = Type.Object({ data: Type.Array(WorkflowRun), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type WorkflowRunsPage = Static<typeof WorkflowRunsPage>;

/** What an app event trigger answers at once: the runs it started. */
export const AppEventAccepted = Type.Object({ runs: Type.Array(Type.Object({ id: Type.String(), workflowId: Type.String() })) });
export type AppEventAccepted = Static<typeof AppEventAccepted>;

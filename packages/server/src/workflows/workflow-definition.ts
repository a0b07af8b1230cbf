import { isValidInputPattern, templatePlaceholders } from '@switchboard/catalog';
import { Type } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { Cron } from 'croner';
import { MAX_STEPS, STEP_TYPES, StepVariants, Trigger, WorkflowDefinition, WorkflowSetting, type Step } from '@switchboard/wire';

/** What is wrong with a definition: the field at fault as a path (`steps[1].then[0].method`) and why. */
export interface DefinitionProblem {
  field: string;
  message: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A TypeBox error path (`/then/0/method`) as a field path below `base` (`steps[2].then[0].method`). */
function fieldPath(base: string, pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), base);
}

const UNKNOWN_PROPERTY = 'is not a known property here';

/** A schema error in words a person fixing a definition reads: the limit, the values allowed. */
function describeError(error: ValueError): string {
  const schema = error.schema as Record<string, unknown>;
  switch (error.type) {
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1 ? 'must not be empty' : `must be at least ${String(schema.minLength)} characters`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(schema.maxLength)} characters`;
    case ValueErrorType.StringPattern:
      return `must match ${String(schema.pattern)}`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `must be at least ${String(schema.minimum)}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `must be at most ${String(schema.maximum)}`;
    case ValueErrorType.Integer:
      return 'must be a whole number';
    case ValueErrorType.ArrayMinItems:
      return `must list at least ${String(schema.minItems)}`;
    case ValueErrorType.ArrayMaxItems:
      return `must list at most ${String(schema.maxItems)}`;
    case ValueErrorType.ObjectAdditionalProperties:
      return UNKNOWN_PROPERTY;
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.Union: {
      // A union of literals (`method`, `operator`) reads best as its list of values.
      const values = (schema.anyOf as { const?: unknown }[]).map((option) => option.const);
      if (values.every((value) => value !== undefined)) return `must be one of ${values.join(', ')}`;
      return 'is not any of the forms allowed here';
    }
    default:
      return error.message.toLowerCase().replace(/^expected/, 'must be');
  }
}

/** The first schema error of `value`, below `base`, skipping the nested step lists (they are checked one by one). */
function schemaProblem(schema: Parameters<typeof Value.Errors>[0], value: unknown, base: string, nested: string[] = []): DefinitionProblem | undefined {
  for (const error of Value.Errors(schema, value)) {
    if (nested.some((key) => error.path.startsWith(`/${key}/`))) continue;
    return { field: fieldPath(base, error.path) || base || 'definition', message: describeError(error) };
  }
  return undefined;
}

/** The nested step lists of each kind. */
const NESTED: Partial<Record<Step['type'], string[]>> = { conditional: ['then', 'else'], fanOut: ['steps'] };

/** Every step of the tree, depth first, in the order a run reaches them, with its path. */
export function* walkSteps(steps: readonly Step[], base = 'steps'): Generator<{ step: Step; path: string }> {
  for (const [index, step] of steps.entries()) {
    const path = `${base}[${index}]`;
    yield { step, path };
    for (const key of NESTED[step.type] ?? []) {
      const branch = (step as Record<string, unknown>)[key];
      if (Array.isArray(branch)) yield* walkSteps(branch as Step[], `${path}.${key}`);
    }
  }
}

/** Checks each step against its own kind's schema, so the error names that step's property. */
function stepShapeProblem(step: unknown, path: string): DefinitionProblem | undefined {
  if (!isObject(step)) return { field: path, message: 'must be a step object' };
  const type = step.type as Step['type'];
  if (!STEP_TYPES.includes(type)) return { field: `${path}.type`, message: `must be one of ${STEP_TYPES.join(', ')}` };
  const nested = NESTED[type] ?? [];
  const problem = schemaProblem(StepVariants[type], step, path, nested);
  if (problem) return problem.message === UNKNOWN_PROPERTY ? { ...problem, message: `is not a property of a ${type} step` } : problem;
  for (const key of nested) {
    const branch = step[key];
    if (branch === undefined) continue;
    for (const [index, child] of (branch as unknown[]).entries()) {
      const childProblem = stepShapeProblem(child, `${path}.${key}[${index}]`);
      if (childProblem) return childProblem;
    }
  }
  return undefined;
}

/** The definition's own fields, steps, trigger and settings aside (each is checked on its own for a precise field). */
const DefinitionFields = Type.Omit(WorkflowDefinition, ['steps', 'trigger', 'settings']);
const TRIGGER_TYPES = Trigger.anyOf.map((variant) => variant.properties.type.const);

function shapeProblem(definition: unknown): DefinitionProblem | undefined {
  if (!isObject(definition)) return { field: 'definition', message: 'must be an object' };
  const { steps, trigger, settings, ...fields } = definition;
  const problem = schemaProblem(DefinitionFields, fields, '');
  if (problem) return problem;

  if (!isObject(trigger)) return { field: 'trigger', message: 'must be an object with a type' };
  const variant = Trigger.anyOf[TRIGGER_TYPES.indexOf(trigger.type as (typeof TRIGGER_TYPES)[number])];
  if (!variant) return { field: 'trigger.type', message: `must be one of ${TRIGGER_TYPES.join(', ')}` };
  const triggerProblem = schemaProblem(variant, trigger, 'trigger');
  if (triggerProblem) return triggerProblem;

  if (settings !== undefined) {
    if (!Array.isArray(settings)) return { field: 'settings', message: 'must be an array' };
    for (const [index, setting] of settings.entries()) {
      const settingProblem = schemaProblem(WorkflowSetting, setting, `settings[${index}]`);
      if (settingProblem) return settingProblem;
    }
  }
  if (!Array.isArray(steps) || steps.length === 0) return { field: 'steps', message: 'must list at least one step' };
  for (const [index, step] of steps.entries()) {
    const stepProblem = stepShapeProblem(step, `steps[${index}]`);
    if (stepProblem) return stepProblem;
  }
  // Limits no single part shows (the number of steps at the top); each part is known to be well formed here.
  return schemaProblem(WorkflowDefinition, definition, '');
}

const VARIABLE_ROOTS = ['trigger', 'steps', 'user', 'settings', 'secrets', 'item', 'index'];

/** Every string in a value, with its path, for variable checks. */
function* stringsOf(value: unknown, path: string): Generator<{ text: string; path: string }> {
  if (typeof value === 'string') yield { text: value, path };
  else if (Array.isArray(value)) for (const [index, item] of value.entries()) yield* stringsOf(item, `${path}[${index}]`);
  else if (isObject(value)) for (const [key, item] of Object.entries(value)) yield* stringsOf(item, `${path}.${key}`);
}

const validTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** What a well-shaped definition gets wrong: ids, variables, the trigger's own rules. */
function meaningProblem(definition: WorkflowDefinition): DefinitionProblem | undefined {
  const trigger = definition.trigger;
  if (trigger.type === 'schedule') {
    if (trigger.cron.trim().split(/\s+/).length !== 5) return { field: 'trigger.cron', message: 'must have five fields: minute hour day-of-month month day-of-week' };
    try {
      new Cron(trigger.cron, { paused: true });
    } catch (error) {
      return { field: 'trigger.cron', message: `is not a cron expression (${(error as Error).message.replace(/^CronPattern: /, '')})` };
    }
    if (trigger.timeZone !== undefined && !validTimeZone(trigger.timeZone)) return { field: 'trigger.timeZone', message: 'must be an IANA time zone, e.g. Europe/Paris' };
  }
  const settingIds = new Set<string>();
  for (const [index, setting] of (definition.settings ?? []).entries()) {
    if (settingIds.has(setting.id)) return { field: `settings[${index}].id`, message: `repeats the setting id ${setting.id}` };
    settingIds.add(setting.id);
    if (setting.pattern !== undefined && !isValidInputPattern(setting.pattern)) return { field: `settings[${index}].pattern`, message: 'is not a valid regular expression' };
  }

  const all = [...walkSteps(definition.steps)];
  if (all.length > MAX_STEPS) return { field: 'steps', message: `must hold at most ${MAX_STEPS} steps in all` };
  const seen = new Map<string, string>();
  for (const { step, path } of all) {
    const label = `step ${step.id}`;
    if (seen.has(step.id)) return { field: `${path}.id`, message: `repeats the id of ${seen.get(step.id)}` };
    seen.set(step.id, path);
    if (step.type === 'request' && (step.path === undefined) === (step.url === undefined)) {
      return { field: `${path}.path`, message: `${label} needs exactly one of path (the integration's API) or url (any other API)` };
    }
    // A fan-out's items run side by side within one pass of the run: none of them can wait or answer the call.
    if ((step.type === 'delay' || step.type === 'response') && /\.steps\[/.test(path)) {
      return { field: `${path}.type`, message: `${label}: a ${step.type} step cannot be inside a fan-out` };
    }
    if (step.type === 'response' && trigger.type !== 'request') {
      return { field: `${path}.type`, message: `${label}: a response step answers a Request trigger; this workflow's trigger is ${trigger.type}` };
    }
  }
  // A variable names something the run has when it reaches the string: an earlier step, a declared setting.
  const before = new Set<string>();
  for (const { step, path } of all) {
    for (const { text, path: stringPath } of stringsOf(step, path)) {
      if (stringPath === `${path}.id` || stringPath === `${path}.name` || stringPath.endsWith('.code')) continue;
      for (const name of templatePlaceholders(text)) {
        const [root, key] = name.split('.');
        if (!VARIABLE_ROOTS.includes(root!)) return { field: stringPath, message: `{{${name}}} is no variable: names start with ${VARIABLE_ROOTS.join(', ')}` };
        if (root === 'steps' && !before.has(key ?? '')) return { field: stringPath, message: `{{${name}}} names no earlier step` };
        if (root === 'settings' && !settingIds.has(key ?? '')) return { field: stringPath, message: `{{${name}}} names no setting of this workflow` };
      }
    }
    before.add(step.id);
  }
  return undefined;
}

/** The problem with a definition, or undefined when it may be stored. */
export function definitionProblem(definition: unknown): DefinitionProblem | undefined {
  return shapeProblem(definition) ?? meaningProblem(definition as WorkflowDefinition);
}

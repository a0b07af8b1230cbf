import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { IntegrationAction } from '@switchboard/catalog';
import { LRUCache } from 'lru-cache';

/**
 * Actions' input schemas, compiled with Ajv: strict, so a typo in a keyword (`minLenght`) is refused when the
 * action is declared rather than silently checking nothing; no coercion, so an input reaches the API as the
 * workflow built it.
 */
const ajv = new Ajv({ strict: true, allErrors: false, validateFormats: false, allowUnionTypes: true });

/** Compiled schemas by their JSON text: built-in actions compile once; custom ones once per definition. */
const compiled = new LRUCache<string, ValidateFunction>({ max: 2_000 });

function validatorOf(schema: object): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

/** Why a declared input schema is no JSON Schema Switchboard can check with, or undefined. */
export function inputSchemaProblem(schema: unknown): string | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'must be a JSON Schema object';
  try {
    validatorOf(schema);
    return undefined;
  } catch (error) {
    return `is not a valid JSON Schema: ${(error as Error).message}`;
  }
}

/** One schema error as a person reads it: the input at fault (`input.channel`) and what it must be. */
function describe(error: ErrorObject): { field: string; message: string } {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((field, part) => (/^\d+$/.test(part) ? `${field}[${part}]` : `${field}.${part}`), 'input');
  switch (error.keyword) {
    case 'required':
      return { field: `${path}.${String(error.params.missingProperty)}`, message: 'is required' };
    case 'additionalProperties':
      return { field: `${path}.${String(error.params.additionalProperty)}`, message: 'is not an input of this action' };
    case 'enum':
      return { field: path, message: `must be one of ${(error.params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}` };
    default:
      return { field: path, message: error.message ?? 'is not valid' };
  }
}

/** The first way `input` fails the action's input schema, naming the input, or undefined when it meets it. */
export function actionInputProblem(action: IntegrationAction, input: unknown): { field: string; message: string } | undefined {
  const validate = validatorOf(action.inputSchema);
  if (validate(input)) return undefined;
  return describe(validate.errors![0]!);
}

/**
 * How one input's value fails its own property schema, or undefined: for checking the inputs a definition fixes
 * while others still hold variables (keywords across properties wait for the run).
 */
export function actionInputValueProblem(action: IntegrationAction, name: string, value: unknown): { field: string; message: string } | undefined {
  const property = action.inputSchema.properties[name];
  if (!property) return undefined;
  const validate = validatorOf({ type: 'object', properties: { [name]: property } });
  if (validate({ [name]: value })) return undefined;
  return describe(validate.errors![0]!);
}

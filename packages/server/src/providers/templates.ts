import { fillPlaceholders, matchesInputPattern, type InputField, type IntegrationDefinition } from '@switchboard/catalog';
import { readPath } from './json-path.js';
import { TemplateError } from './errors.js';

/** What `{{...}}` placeholders are filled from. */
export interface TemplateContext {
  /** The Switchboard server's public base URL, e.g. `http://localhost:4000`. */
  serverUrl: string;
  /** Pre-OAuth inputs, the chosen account type's vars, and API-key / basic / client-credentials fields. */
  inputs: Record<string, string>;
  /** Values captured at connect time (token answer, identity). */
  providerData: Record<string, unknown>;
}

/** A template context plus the credential's access token, for API authorization. */
export interface TemplateValues extends TemplateContext {
  accessToken?: string;
}

/**
 * `url`: the result is a URL, so every user-typed value must match its input's pattern, and account-type vars
 * must be one of the definition's own values: a user cannot steer a request to another host or path.
 * `text`: header and query values; inserted as they are.
 */
export type TemplateMode = 'url' | 'text';

/** Every user-typed input the definition declares: pre-OAuth inputs or its auth fields. */
export function declaredInputs(definition: IntegrationDefinition): InputField[] {
  const auth = definition.auth;
  return auth.kind === 'oauth2' ? (auth.preOAuthInputs ?? []) : auth.fields;
}

function accountTypeValues(definition: IntegrationDefinition, name: string): string[] | undefined {
  if (definition.auth.kind !== 'oauth2' || !definition.auth.accountTypes) return undefined;
  const values = definition.auth.accountTypes.flatMap((t) => (name in t.vars ? [t.vars[name] as string] : []));
  return values.length > 0 ? values : undefined;
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function resolvePlaceholder(definition: IntegrationDefinition, name: string, values: TemplateValues, mode: TemplateMode): string {
  if (name === 'serverUrl') return values.serverUrl.replace(/\/+$/, '');
  if (name === 'accessToken') {
    if (!values.accessToken) throw new TemplateError(`${definition.type}: no access token for {{accessToken}}`, name);
    return mode === 'url' ? encodeURIComponent(values.accessToken) : values.accessToken;
  }
  if (name.startsWith('providerData.')) {
    const value = scalar(readPath(values.providerData, name.slice('providerData.'.length)));
    if (value === undefined || value === '') throw new TemplateError(`${definition.type}: no value for {{${name}}} in providerData`, name);
    return value;
  }
  const input = declaredInputs(definition).find((field) => field.id === name);
  const allowed = accountTypeValues(definition, name);
  if (!input && !allowed) throw new TemplateError(`${definition.type}: unknown placeholder {{${name}}}`, name);
  const value = values.inputs[name];
  if (value === undefined || value === '') throw new TemplateError(`${definition.type}: missing value for {{${name}}}`, name);
  if (mode === 'url') {
    if (input) {
      if (!input.pattern) throw new TemplateError(`${definition.type}: input ${name} is used in a URL but has no pattern`, name);
      if (!matchesInputPattern(input.pattern, value)) throw new TemplateError(`${definition.type}: ${input.label} is not valid`, name);
    } else if (allowed && !allowed.includes(value)) {
      throw new TemplateError(`${definition.type}: ${name} is not one of the account types' values`, name);
    }
  }
  return value;
}

/** Fills a template; an unknown placeholder, a missing value or (in URLs) a value refused by its pattern throws. */
export function renderTemplate(definition: IntegrationDefinition, template: string, values: TemplateValues, mode: TemplateMode): string {
  return fillPlaceholders(template, (name) => resolvePlaceholder(definition, name, values, mode));
}

/** Renders a URL template and checks the result is an absolute http(s) URL. */
export function renderUrl(definition: IntegrationDefinition, template: string, values: TemplateValues): URL {
  const rendered = renderTemplate(definition, template, values, 'url');
  let url: URL;
  try {
    url = new URL(rendered);
  } catch {
    throw new TemplateError(`${definition.type}: ${template} does not make an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TemplateError(`${definition.type}: ${template} must be an http(s) URL`);
  }
  return url;
}

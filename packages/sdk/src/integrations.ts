import type { SdkIntegration } from '@switchboard/wire';
import type { InstallField, InstallOptions, IntegrationMetadata, WorkflowInfo } from './types.js';

/** An item of GET /sdk/integrations. */
export type IntegrationInfo = SdkIntegration;

export const metadataOf = (integration: IntegrationInfo): IntegrationMetadata => ({
  type: integration.type,
  name: integration.name,
  brandColor: integration.brandColor,
  icon: integration.icon,
  authenticationType: integration.authenticationMethod,
  description: integration.configs[0]?.values.description ?? '',
});

export const workflowsOf = (integration: IntegrationInfo | undefined): WorkflowInfo[] =>
  (integration?.workflows ?? []).map(({ id, name, description, triggerType, defaultEnabled, settings }) => ({ id, name, description, triggerType, defaultEnabled, settings }));

/** Checks typed values against stage fields before anything is sent: required ones present, patterns, options. */
export function fieldProblem(fields: readonly InstallField[], values: Record<string, string>): { field: string; message: string } | undefined {
  for (const field of fields) {
    const value = values[field.id];
    if (value === undefined || value === '') {
      if (field.required) return { field: field.id, message: `${field.label} is required` };
      continue;
    }
    if (typeof value !== 'string') return { field: field.id, message: `${field.label} must be text` };
    // The `u` flag, as the server compiles input patterns (packages/catalog/src/template-syntax.ts).
    if (field.pattern && !new RegExp(`^(?:${field.pattern})$`, 'u').test(value)) return { field: field.id, message: `${field.label} is not in the expected format` };
    if (field.options && !field.options.some((option) => option.value === value)) return { field: field.id, message: `${field.label} must be one of the choices` };
  }
  return undefined;
}

/** The install options the server's `/oauth/start` and `/credentials` take. */
export const serverInstallOptions = (options: InstallOptions): Record<string, unknown> => {
  const picked: Record<string, unknown> = {};
  for (const key of ['accountType', 'preOptions', 'allowMultipleCredentials', 'selectedCredentialId', 'overrideRedirectUrl'] as const) {
    if (options[key] !== undefined) picked[key] = options[key];
  }
  return picked;
};

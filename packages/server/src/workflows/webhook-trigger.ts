import type { IntegrationDefinition } from '@switchboard/catalog';
import type { AppContext } from '../app-context.js';
import { findIntegration, openClientSecret, type ProjectIntegration } from '../catalog/integration-store.js';
import { openCredentialSecrets } from '../credentials/credential-store.js';
import { apiError } from '../errors.js';
import { enablementByWebhookToken } from './enablement-store.js';
import { runDefaults, type WorkflowEngine } from './run-engine.js';
import { createRun } from './run-store.js';
import { signatureMatches } from './webhook-signature.js';
import { definitionAt, findWorkflow } from './workflow-store.js';

/** What a provider (or any system) posted to an account's webhook URL. */
export interface WebhookDelivery {
  workflowId: string;
  token: string;
  /** The body exactly as it arrived: signatures are over these bytes. */
  rawBody: Buffer;
  /** The body parsed (JSON, a form) or as text; `{{trigger.body}}`. */
  body: unknown;
  headers: Record<string, string>;
  query: Record<string, unknown>;
}

const notFound = () => apiError('WEBHOOK_NOT_FOUND', 'No webhook at this URL: the workflow, or this account of it, does not exist');

/** The key a provider signs with: the project's OAuth app client secret, or one of the account's secret fields. */
function signingSecret(context: AppContext, integration: ProjectIntegration, credential: { id: string; secrets_sealed: string }, spec: NonNullable<IntegrationDefinition['webhookSignature']>): string | undefined {
  if (spec.secret.from === 'clientSecret') return openClientSecret(context.secrets, integration);
  return openCredentialSecrets(context.secrets, credential).fields?.[spec.secret.field];
}

/**
 * A Webhook trigger: the URL's token names one account's enablement of one workflow, so the run is that account's.
 * The workflow must be published and active with a Webhook trigger, and enabled on the account. When the
 * integration defines how its webhooks are signed, a missing or wrong signature is refused (401) and starts
 * nothing. Answers at once with the run started.
 */
export async function triggerWebhook(context: AppContext, engine: WorkflowEngine, delivery: WebhookDelivery): Promise<{ runId: string }> {
  const enablement = await enablementByWebhookToken(context.db, delivery.token);
  if (!enablement || !enablement.issued || enablement.workflowId !== delivery.workflowId) throw notFound();
  const workflow = await findWorkflow(context.db, enablement.projectId, enablement.workflowId);
  const definition = workflow?.publishedVersion ? await definitionAt(context.db, workflow.id, workflow.publishedVersion) : undefined;
  if (!workflow || !workflow.isActive || !definition || definition.trigger.type !== 'webhook') throw notFound();
  if (!enablement.enabled) throw apiError('WORKFLOW_NOT_ENABLED', `Workflow ${workflow.id} is not enabled for this account: the user turned it off`);
  const [integration, credential] = await Promise.all([
    findIntegration(context.db, enablement.projectId, { id: workflow.integrationId }),
    context.db.selectFrom('credentials').select(['id', 'secrets_sealed']).where('id', '=', enablement.credentialId).executeTakeFirst(),
  ]);
  if (!integration || !credential) throw notFound();
  const spec = integration.definition.webhookSignature;
  if (spec) {
    const secret = signingSecret(context, integration, credential, spec);
    if (!secret) context.log.warn({ workflowId: workflow.id, integration: integration.type }, 'a signed webhook arrived, but the key it is signed with is not set');
    if (!secret || !signatureMatches(spec, secret, delivery.rawBody, delivery.headers[spec.header.toLowerCase()])) {
      throw apiError('WEBHOOK_SIGNATURE_INVALID', `The ${spec.header} header is missing or is not the signature of this body`);
    }
  }
  const run = await createRun(context.db, {
    projectId: enablement.projectId,
    workflowId: workflow.id,
    workflowVersion: workflow.publishedVersion!,
    connectedUserId: enablement.connectedUserId,
    credentialId: enablement.credentialId,
    triggerType: 'webhook',
    triggerInput: { body: delivery.body ?? null, headers: delivery.headers, query: delivery.query },
    timeoutSeconds: definition.timeoutSeconds ?? runDefaults.runTimeoutSeconds,
  });
  await engine.enqueue(run.id);
  return { runId: run.id };
}

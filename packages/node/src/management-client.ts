import { nonEmpty } from './check-options.js';
import { SwitchboardError } from './errors.js';
import { createHttpClient } from './http-client.js';
import type {
  AppEvent,
  AppEventAccepted,
  AppEventInput,
  ConnectedUser,
  ConnectedUsersPage,
  ConnectedUsersPageOptions,
  CreatedCustomIntegration,
  CreatedProject,
  CredentialEvent,
  CustomIntegration,
  CustomIntegrationInput,
  IntegrationAction,
  IntegrationSettings,
  ManagedIntegration,
  Project,
  ProjectChanges,
  ProjectSecret,
  SigningKey,
  SigningKeyInput,
  Workflow,
  WorkflowDefinition,
  WorkflowRun,
  WorkflowRunDetail,
  WorkflowRunsPage,
  WorkflowVersion,
  WorkflowWebhookUrl,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookDestination,
  WebhookDestinationChanges,
  WebhookDestinationInput,
  WebhookDestinationWithSecret,
} from './types.js';

/**
 * The management API (`/api/v1`) from a customer's backend, with the project's secret key: the project's
 * settings, signing keys, integrations, custom integrations, connected users and credential audit log.
 */

export interface ManagementClientOptions {
  /** The Switchboard server, e.g. `https://switchboard.example.com`. */
  host: string;
  /**
   * The project the secret key belongs to. The management API addresses every resource by project id and has no
   * call that finds the project from the key, so the client must be told (a key of another project answers 403).
   */
  projectId: string;
  /** The project's secret key (shown once at project creation). Keep it on your servers only. */
  secretKey: string;
  /** Per-call limit in milliseconds; 0 for none. Default 60 000. */
  timeoutMs?: number;
}

/** A client of the management API for one project. */
export interface ManagementClient {
  readonly projectId: string;
  /** `GET /projects/:projectId`. */
  getProject(): Promise<Project>;
  /** `PATCH /projects/:projectId`: rename, replace allowed origins, allow private upstreams. */
  updateProject(changes: ProjectChanges): Promise<Project>;
  /** `GET …/signing-keys`: the public keys user tokens may be signed with. */
  listSigningKeys(): Promise<SigningKey[]>;
  /**
   * `POST …/signing-keys`: registers a public key (RSA, at least 2048 bits, PEM). `id` becomes the `kid` to sign
   * with; the server picks one when absent. A private key is refused here, before it leaves your process.
   */
  addSigningKey(key: SigningKeyInput): Promise<SigningKey>;
  /** `DELETE …/signing-keys/:keyId`: tokens signed with that key stop working at once. */
  removeSigningKey(keyId: string): Promise<void>;
  /** `GET …/integrations`: the project's integrations, active or not. */
  listIntegrations(): Promise<ManagedIntegration[]>;
  /** `PUT …/integrations/:type`: activates (a new one is active unless `isActive: false`) and configures one. */
  configureIntegration(integrationType: string, settings: IntegrationSettings): Promise<ManagedIntegration>;
  /** `GET …/integrations/:type/actions`: the actions an integration declares, which workflows' Action steps call by name. */
  listIntegrationActions(integrationType: string): Promise<IntegrationAction[]>;
  /** `GET …/custom-integrations`. */
  listCustomIntegrations(): Promise<CustomIntegration[]>;
  /** `POST …/custom-integrations`: defines an integration at run time, active at once as `custom.<slug>`. */
  createCustomIntegration(definition: CustomIntegrationInput): Promise<CreatedCustomIntegration>;
  /** `PUT …/custom-integrations/:id`: replaces the definition (the slug cannot change). */
  updateCustomIntegration(id: string, definition: CustomIntegrationInput): Promise<CustomIntegration>;
  /** `DELETE …/custom-integrations/:id`: removes it with its users' accounts. */
  removeCustomIntegration(id: string): Promise<void>;
  /** Every connected user with their accounts' metadata, never secrets: reads `GET …/connected-users` page by page. */
  listConnectedUsers(): Promise<ConnectedUser[]>;
  /** `GET …/connected-users`: one page of connected users; pass `nextCursor` back as `cursor` for the next. */
  listConnectedUsersPage(options?: ConnectedUsersPageOptions): Promise<ConnectedUsersPage>;
  /** `GET …/credential-events`: the audit log (installed, reauthorized, refreshed, invalidated, uninstalled…), oldest first. */
  listCredentialEvents(filter?: { credentialId?: string }): Promise<CredentialEvent[]>;
  /** `GET …/workflows`: every workflow with its latest definition. */
  listWorkflows(): Promise<Workflow[]>;
  getWorkflow(workflowId: string): Promise<Workflow>;
  /** `POST …/workflows`: version 1, unpublished; a refused definition names the step and property at fault. */
  createWorkflow(definition: WorkflowDefinition): Promise<Workflow>;
  /** `PUT …/workflows/:id`: a new draft version; the same definition as the latest changes nothing. */
  updateWorkflow(workflowId: string, definition: WorkflowDefinition): Promise<Workflow>;
  /** `POST …/workflows/:id/publish`: runs use the latest version from now on. */
  publishWorkflow(workflowId: string): Promise<Workflow>;
  /** `POST …/workflows/:id/rollback`: publishes an earlier version again. */
  rollbackWorkflow(workflowId: string, version: number): Promise<Workflow>;
  /** `GET …/workflows/:id/versions`: the history, newest first. */
  listWorkflowVersions(workflowId: string): Promise<WorkflowVersion[]>;
  /** `GET …/workflows/:id/webhook-urls`: a Webhook trigger's URL for each account that enabled it (of one user, with `userId`). */
  listWorkflowWebhookUrls(workflowId: string, userId?: string): Promise<WorkflowWebhookUrl[]>;
  /** `PATCH …/workflows/:id`: an inactive workflow starts no runs. */
  setWorkflowActive(workflowId: string, isActive: boolean): Promise<Workflow>;
  removeWorkflow(workflowId: string): Promise<void>;
  listAppEvents(): Promise<AppEvent[]>;
  /** `PUT …/app-events/:name`: defines the event or replaces its payload schema and sample. */
  putAppEvent(name: string, event?: Omit<AppEventInput, 'name'>): Promise<AppEvent>;
  removeAppEvent(name: string): Promise<void>;
  /** `GET …/secrets`: names only; values never leave the server. */
  listSecrets(): Promise<ProjectSecret[]>;
  /** `PUT …/secrets/:name`: steps read it as `{{secrets.<name>}}`. */
  setSecret(name: string, value: string): Promise<void>;
  removeSecret(name: string): Promise<void>;
  /** `POST …/app-events/:name/trigger`: an app event for one of your users (their id in your app); answers the runs started. */
  sendAppEvent(name: string, userId: string, payload?: unknown): Promise<AppEventAccepted>;
  /** `GET …/workflow-runs`: one page of runs, newest first; pass `nextCursor` back as `cursor`. */
  listWorkflowRuns(filter?: WorkflowRunFilter): Promise<WorkflowRunsPage>;
  /** `GET …/workflow-runs/:id`: the run with every step's input, output, error and timings. */
  getWorkflowRun(runId: string): Promise<WorkflowRunDetail>;
  /** `POST …/workflow-runs/:id/cancel`: the run stops before its next step. */
  cancelWorkflowRun(runId: string): Promise<WorkflowRun>;
  /** `POST …/workflow-runs/:id/replay`: a FAILED run again from its failed step (409 `WORKFLOW_RUN_NOT_FAILED` otherwise). */
  replayWorkflowRun(runId: string): Promise<WorkflowRun>;
  /** `GET …/webhook-destinations`: never their signing secrets. */
  listWebhookDestinations(): Promise<WebhookDestination[]>;
  getWebhookDestination(destinationId: string): Promise<WebhookDestination>;
  /** `POST …/webhook-destinations`: answers the signing secret (`whsec_…`) this once; keep it to verify deliveries. */
  createWebhookDestination(input: WebhookDestinationInput): Promise<WebhookDestinationWithSecret>;
  /** `PATCH …/webhook-destinations/:id`: URL, events, description, enabled. */
  updateWebhookDestination(destinationId: string, changes: WebhookDestinationChanges): Promise<WebhookDestination>;
  removeWebhookDestination(destinationId: string): Promise<void>;
  /** `POST …/webhook-destinations/:id/rotate-secret`: a new secret, this once; the old one also signs for 24 hours. */
  rotateWebhookSecret(destinationId: string): Promise<WebhookDestinationWithSecret>;
  /** `GET …/webhook-destinations/:id/deliveries`: newest first, each with its tries. */
  listWebhookDeliveries(destinationId: string, filter?: { status?: WebhookDeliveryStatus; limit?: number }): Promise<WebhookDelivery[]>;
  getWebhookDelivery(deliveryId: string): Promise<WebhookDelivery>;
  /** `POST …/webhook-deliveries/:id/replay`: sends a finished delivery again, with the same `webhook-id`. */
  replayWebhookDelivery(deliveryId: string): Promise<WebhookDelivery>;
}

/** Filters of `listWorkflowRuns`; `since`/`until` are ISO 8601 times. */
export interface WorkflowRunFilter {
  workflowId?: string;
  userId?: string;
  status?: WorkflowRun['status'];
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

function connectedUsersQuery(options: ConnectedUsersPageOptions): string {
  const query = new URLSearchParams();
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > 1000) {
      throw new SwitchboardError('INVALID_OPTIONS', 'limit must be a whole number from 1 to 1000');
    }
    query.set('limit', String(options.limit));
  }
  if (options.cursor !== undefined) query.set('cursor', nonEmpty(options.cursor, 'cursor'));
  const text = query.toString();
  return text ? `?${text}` : '';
}

/**
 * Creates a client of the management API for one project.
 *
 * @example
 * const management = createManagementClient({ host, projectId, secretKey: process.env.SWITCHBOARD_SECRET_KEY! });
 * await management.configureIntegration('slack', { clientId, clientSecret, scopes: ['chat:write'] });
 */
export function createManagementClient(options: ManagementClientOptions): ManagementClient {
  const projectId = nonEmpty(options?.projectId, 'projectId');
  const http = createHttpClient({ host: options.host, credential: options.secretKey, credentialName: 'secret key', timeoutMs: options.timeoutMs });
  const project = `/api/v1/projects/${encodeURIComponent(projectId)}`;
  const call = async <T>(method: string, path: string, json?: unknown) =>
    (await http.call({ method, path: `${project}${path}`, ...(json !== undefined && { json }) })).body as T;
  const segment = (value: string, name: string) => encodeURIComponent(nonEmpty(value, name));

  return {
    projectId,
    getProject: () => call<Project>('GET', ''),
    updateProject: (changes) => call<Project>('PATCH', '', changes),

    listSigningKeys: () => call<SigningKey[]>('GET', '/signing-keys'),
    async addSigningKey(key) {
      if (typeof key?.publicKeyPem !== 'string' || /PRIVATE KEY/.test(key.publicKeyPem)) {
        throw new SwitchboardError('INVALID_PUBLIC_KEY', 'publicKeyPem must be a public key (-----BEGIN PUBLIC KEY-----); a private key never leaves your servers');
      }
      return call<SigningKey>('POST', '/signing-keys', key);
    },
    async removeSigningKey(keyId) {
      await call('DELETE', `/signing-keys/${segment(keyId, 'keyId')}`);
    },

    listIntegrations: () => call<ManagedIntegration[]>('GET', '/integrations'),
    configureIntegration: async (integrationType, settings) =>
      call<ManagedIntegration>('PUT', `/integrations/${segment(integrationType, 'integrationType')}`, settings ?? {}),
    listIntegrationActions: (integrationType) => call<IntegrationAction[]>('GET', `/integrations/${segment(integrationType, 'integrationType')}/actions`),

    listCustomIntegrations: () => call<CustomIntegration[]>('GET', '/custom-integrations'),
    createCustomIntegration: (definition) => call<CreatedCustomIntegration>('POST', '/custom-integrations', definition),
    updateCustomIntegration: async (id, definition) => call<CustomIntegration>('PUT', `/custom-integrations/${segment(id, 'id')}`, definition),
    async removeCustomIntegration(id) {
      await call('DELETE', `/custom-integrations/${segment(id, 'id')}`);
    },

    listConnectedUsersPage: async (options = {}) => call<ConnectedUsersPage>('GET', `/connected-users${connectedUsersQuery(options)}`),
    async listConnectedUsers() {
      const users: ConnectedUser[] = [];
      let cursor: string | null = null;
      do {
        const page: ConnectedUsersPage = await call<ConnectedUsersPage>('GET', `/connected-users${connectedUsersQuery({ limit: 1000, ...(cursor && { cursor }) })}`);
        users.push(...page.data);
        cursor = page.nextCursor;
      } while (cursor);
      return users;
    },
    listCredentialEvents(filter = {}) {
      const query = filter.credentialId === undefined ? '' : `?credentialId=${encodeURIComponent(nonEmpty(filter.credentialId, 'credentialId'))}`;
      return call<CredentialEvent[]>('GET', `/credential-events${query}`);
    },

    listWorkflows: () => call<Workflow[]>('GET', '/workflows'),
    getWorkflow: async (workflowId) => call<Workflow>('GET', `/workflows/${segment(workflowId, 'workflowId')}`),
    createWorkflow: (definition) => call<Workflow>('POST', '/workflows', definition),
    updateWorkflow: async (workflowId, definition) => call<Workflow>('PUT', `/workflows/${segment(workflowId, 'workflowId')}`, definition),
    publishWorkflow: async (workflowId) => call<Workflow>('POST', `/workflows/${segment(workflowId, 'workflowId')}/publish`),
    rollbackWorkflow: async (workflowId, version) => call<Workflow>('POST', `/workflows/${segment(workflowId, 'workflowId')}/rollback`, { version }),
    listWorkflowVersions: async (workflowId) => call<WorkflowVersion[]>('GET', `/workflows/${segment(workflowId, 'workflowId')}/versions`),
    async listWorkflowWebhookUrls(workflowId, userId) {
      const query = userId === undefined ? '' : `?${new URLSearchParams({ userId: nonEmpty(userId, 'userId') }).toString()}`;
      return (await call<{ data: WorkflowWebhookUrl[] }>('GET', `/workflows/${segment(workflowId, 'workflowId')}/webhook-urls${query}`)).data;
    },
    setWorkflowActive: async (workflowId, isActive) => call<Workflow>('PATCH', `/workflows/${segment(workflowId, 'workflowId')}`, { isActive }),
    async removeWorkflow(workflowId) {
      await call('DELETE', `/workflows/${segment(workflowId, 'workflowId')}`);
    },
    listAppEvents: () => call<AppEvent[]>('GET', '/app-events'),
    putAppEvent: async (name, event = {}) => call<AppEvent>('PUT', `/app-events/${segment(name, 'name')}`, event),
    async removeAppEvent(name) {
      await call('DELETE', `/app-events/${segment(name, 'name')}`);
    },
    listSecrets: () => call<ProjectSecret[]>('GET', '/secrets'),
    async setSecret(name, value) {
      if (typeof value !== 'string' || value === '') throw new SwitchboardError('INVALID_OPTIONS', 'value must be a non-empty string');
      await call('PUT', `/secrets/${segment(name, 'name')}`, { value });
    },
    async removeSecret(name) {
      await call('DELETE', `/secrets/${segment(name, 'name')}`);
    },
    sendAppEvent: async (name, userId, payload) =>
      call<AppEventAccepted>('POST', `/app-events/${segment(name, 'name')}/trigger`, { userId: nonEmpty(userId, 'userId'), ...(payload !== undefined && { payload }) }),
    async listWorkflowRuns(filter = {}) {
      const query = new URLSearchParams(Object.entries(filter).flatMap(([key, value]): [string, string][] => (value === undefined ? [] : [[key, String(value)]]))).toString();
      return call<WorkflowRunsPage>('GET', `/workflow-runs${query ? `?${query}` : ''}`);
    },
    getWorkflowRun: async (runId) => call<WorkflowRunDetail>('GET', `/workflow-runs/${segment(runId, 'runId')}`),
    cancelWorkflowRun: async (runId) => call<WorkflowRun>('POST', `/workflow-runs/${segment(runId, 'runId')}/cancel`),
    replayWorkflowRun: async (runId) => call<WorkflowRun>('POST', `/workflow-runs/${segment(runId, 'runId')}/replay`),

    listWebhookDestinations: () => call<WebhookDestination[]>('GET', '/webhook-destinations'),
    getWebhookDestination: async (destinationId) => call<WebhookDestination>('GET', `/webhook-destinations/${segment(destinationId, 'destinationId')}`),
    createWebhookDestination: (input) => call<WebhookDestinationWithSecret>('POST', '/webhook-destinations', input),
    updateWebhookDestination: async (destinationId, changes) =>
      call<WebhookDestination>('PATCH', `/webhook-destinations/${segment(destinationId, 'destinationId')}`, changes),
    async removeWebhookDestination(destinationId) {
      await call('DELETE', `/webhook-destinations/${segment(destinationId, 'destinationId')}`);
    },
    rotateWebhookSecret: async (destinationId) => call<WebhookDestinationWithSecret>('POST', `/webhook-destinations/${segment(destinationId, 'destinationId')}/rotate-secret`),
    async listWebhookDeliveries(destinationId, filter = {}) {
      const query = new URLSearchParams(Object.entries(filter).flatMap(([key, value]): [string, string][] => (value === undefined ? [] : [[key, String(value)]]))).toString();
      return call<WebhookDelivery[]>('GET', `/webhook-destinations/${segment(destinationId, 'destinationId')}/deliveries${query ? `?${query}` : ''}`);
    },
    getWebhookDelivery: async (deliveryId) => call<WebhookDelivery>('GET', `/webhook-deliveries/${segment(deliveryId, 'deliveryId')}`),
    replayWebhookDelivery: async (deliveryId) => call<WebhookDelivery>('POST', `/webhook-deliveries/${segment(deliveryId, 'deliveryId')}/replay`),
  };
}

export interface CreateProjectOptions {
  host: string;
  /** The instance's admin key (`SWITCHBOARD_ADMIN_KEY`), not a project's secret key. */
  adminKey: string;
  name: string;
  allowedOrigins?: string[];
  allowPrivateUpstreams?: boolean;
  timeoutMs?: number;
}

/**
 * `POST /api/v1/projects` with the instance's admin key: creates a project and answers its secret key, shown
 * this once (Switchboard stores only a hash). Register a signing key next with {@link createManagementClient}.
 */
export async function createProject(options: CreateProjectOptions): Promise<CreatedProject> {
  const http = createHttpClient({ host: options.host, credential: options.adminKey, credentialName: 'admin key', timeoutMs: options.timeoutMs });
  const body = {
    name: options.name,
    ...(options.allowedOrigins !== undefined && { allowedOrigins: options.allowedOrigins }),
    ...(options.allowPrivateUpstreams !== undefined && { allowPrivateUpstreams: options.allowPrivateUpstreams }),
  };
  return (await http.call({ method: 'POST', path: '/api/v1/projects', json: body })).body as CreatedProject;
}

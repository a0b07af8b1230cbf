/**
 * Table types, shared by SQLite and Postgres. Portable column types only: ids are text (UUIDs), times are ISO-8601
 * text (sortable, identical on both), flags are integers 0/1, JSON is text. Columns ending in `_sealed` hold
 * envelope-encrypted secrets (see secrets/envelope.ts) and are never read without their row's AAD.
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface ProjectTable {
  id: string;
  name: string;
  /** JSON array of allowed browser origins; `http://localhost:*` matches any port. */
  allowed_origins: string;
  is_dev: number;
  /** 1: custom integrations may reach loopback, private and link-local addresses (the sandbox, tests). */
  allow_private_upstreams: number;
  /** The project's Connect Portal look (#rgb / #rrggbb; light | dark | system; a font list); null: not set. */
  portal_accent_color: string | null;
  portal_theme: string | null;
  portal_font_family: string | null;
  created_at: string;
  updated_at: string;
}

export interface ProjectSecretKeyTable {
  id: string;
  project_id: string;
  /** sha256 of the key; the key itself is shown once at creation. */
  key_hash: string;
  /** The first characters, to tell keys apart in a list. */
  key_prefix: string;
  created_at: string;
}

export interface SigningKeyTable {
  /** The `kid` user tokens may name. */
  id: string;
  project_id: string;
  public_key_pem: string;
  created_at: string;
}

export interface IntegrationTable {
  id: string;
  project_id: string;
  /** integrationType: `salesforce`, or `custom.<slug>` for a custom integration. */
  type: string;
  custom_integration_id: string | null;
  is_active: number;
  /** The project's OAuth app at the provider. */
  client_id: string | null;
  client_secret_sealed: string | null;
  /** JSON array, overriding the definition's default scopes; null keeps the defaults. */
  scopes: string | null;
  /** JSON PortalConfig: { description, overview, accentColor, theme, fontFamily, userSettings }. */
  portal_config: string;
  created_at: string;
  updated_at: string;
}

export interface CustomIntegrationTable {
  id: string;
  project_id: string;
  slug: string;
  /** JSON IntegrationDefinition (no secrets: the OAuth client secret lives on the integration row). */
  definition: string;
  created_at: string;
  updated_at: string;
}

export interface ConnectedUserTable {
  id: string;
  project_id: string;
  /** The user token's `sub`. */
  external_id: string;
  /** JSON object set by the customer's app (setUserMetadata). */
  meta: string;
  created_at: string;
  updated_at: string;
}

export interface CredentialTable {
  id: string;
  project_id: string;
  connected_user_id: string;
  integration_id: string;
  /** VALID | INVALID | PENDING */
  status: string;
  provider_id: string | null;
  /** JSON, shown to clients (e.g. instanceURL). */
  provider_data: string;
  /** Non-secret inputs given at install (pre-OAuth options, account type vars, non-secret fields): JSON. */
  inputs: string;
  account_type: string | null;
  /** Sealed JSON CredentialSecrets: tokens, API keys, secret fields. */
  secrets_sealed: string;
  /** When the access token expires (ISO), null when it does not. */
  expires_at: string | null;
  refreshed_at: string | null;
  /** Last proxied request (written at most every few minutes); the background refresh keeps only these fresh. */
  last_used_at: string | null;
  /** Failed refreshes since the last successful one (or the last connect): 0 when the last one worked. */
  refresh_failure_count: Generated<number>;
  /** JSON { configuredWorkflows, sharedSettings }: replaced whole by PATCH /sdk/credentials/:id. */
  config: string;
  created_at: string;
  updated_at: string;
}

export interface OAuthSessionTable {
  /** The OAuth `state`: random, single use. */
  state: string;
  project_id: string;
  connected_user_id: string;
  integration_id: string;
  /** The browser origin the result is posted to, exactly. */
  origin: string;
  redirect_uri: string;
  code_verifier_sealed: string | null;
  /** JSON of the non-secret inputs (pre-OAuth options, account type vars). */
  inputs: string;
  /** Sealed JSON of the pre-OAuth inputs marked secret; null when there are none. */
  secret_inputs_sealed: string | null;
  account_type: string | null;
  selected_credential_id: string | null;
  allow_multiple: number;
  /** JSON list of the accounts the starting user token saw (JWT permissions); null when it saw every account. */
  visible_credential_ids: string | null;
  expires_at: string;
  consumed_at: string | null;
  /** JSON { status, credentialId | error } once the callback ran. */
  result: string | null;
  created_at: string;
  /** Where the popup is sent once the browser is bound to the flow (not secret: the provider shows it anyway). */
  authorization_url: string | null;
  /** The reference SDK's own key for the flow (`oauthMetaKeyId`), which it polls by; null for Switchboard's SDK. */
  client_key: string | null;
}

export interface CredentialEventTable {
  id: string;
  project_id: string;
  credential_id: string;
  connected_user_id: string;
  integration_id: string;
  /** installed | reauthorized | uninstalled | refreshed | invalidated | config_updated */
  event: string;
  /** JSON, never secrets. */
  detail: string;
  created_at: string;
}

export interface WorkflowTable {
  id: string;
  project_id: string;
  integration_id: string;
  is_active: number;
  /** The version that runs; null until the first publish. */
  published_version: number | null;
  latest_version: number;
  created_at: string;
  updated_at: string;
}

/** Every definition a workflow has had, append-only. */
export interface WorkflowVersionTable {
  workflow_id: string;
  version: number;
  /** JSON of the WorkflowDefinition. */
  definition: string;
  created_at: string;
  /** When this version last became the published one. */
  published_at: string | null;
}

export interface AppEventTable {
  id: string;
  project_id: string;
  name: string;
  /** JSON Schema of the payload, JSON. */
  schema: string;
  /** JSON. */
  sample_payload: string;
  created_at: string;
  updated_at: string;
}

/** Environment secrets steps read as `{{secrets.<name>}}`; the value is sealed (secrets/envelope.ts). */
export interface ProjectSecretTable {
  /** Names the row in the sealed value's AAD. */
  id: string;
  project_id: string;
  name: string;
  value_sealed: string;
  created_at: string;
  updated_at: string;
}

/** A workflow enabled (or once enabled) on an account, kept by the server (migration 0006). */
export interface WorkflowEnablementTable {
  id: string;
  project_id: string;
  workflow_id: string;
  credential_id: string;
  connected_user_id: string;
  /** 1 while the account's config has the workflow enabled. */
  enabled: number;
  /** When it was last turned on: schedules fire only later times; an Integration enabled run is keyed by it. */
  enabled_at: string;
  /** SHA-256 (hex) of the Webhook trigger's URL token for this account. */
  webhook_token_hash: string;
  /** The token, sealed; null until first issued. */
  webhook_token_sealed: string | null;
}

/** One run of a workflow for one connected user. */
export interface WorkflowRunTable {
  id: string;
  project_id: string;
  workflow_id: string;
  /** The published version the run uses, fixed when it starts. */
  workflow_version: number;
  connected_user_id: string;
  /** The account the run calls the integration as. */
  credential_id: string | null;
  trigger_type: string;
  /** JSON: the event's payload, or the request's body, query and headers. */
  trigger_input: string;
  /** QUEUED | RUNNING | WAITING | SUCCEEDED | FAILED | CANCELLED */
  status: string;
  /** JSON of the Response step's answer, once reached. */
  response: string | null;
  /** JSON { code, message, stepKey? } of a failed run. */
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
  timeout_at: string;
  /** While a worker executes the run: until when no other worker may (a crashed worker's lease lapses). */
  lease_until: string | null;
  /** `<workflowId>:<credentialId>:<fire time>` for a scheduled run: unique, so a time fires once fleet-wide. */
  schedule_key: string | null;
}

/** The run's journal: one row per step reached (per item inside a fan-out), written before the next step starts. */
export interface WorkflowRunStepTable {
  run_id: string;
  /** The step's place in the run: its id, or `<fanOutId>[<index>].<id>` inside a fan-out. */
  step_key: string;
  step_id: string;
  /** RUNNING | SUCCEEDED | FAILED | WAITING */
  status: string;
  /** JSON, project secrets redacted; kept whole (a resumed run reads it), shown truncated past 64 KB. */
  input: string | null;
  output: string | null;
  error: string | null;
  attempts: number;
  /** A delay's end, or a retry's time. */
  wake_at: string | null;
  /** Sent with the step's calls, so a call replayed after a crash is recognised by the API. */
  idempotency_key: string;
  started_at: string;
  finished_at: string | null;
}

/** A customer's backend URL that hears of the project's events; the signing secret is sealed (secrets/envelope.ts). */
export interface WebhookDestinationTable {
  /** Names the row in the sealed secrets' AAD. */
  id: string;
  project_id: string;
  url: string;
  /** JSON array of event types. */
  events: string;
  enabled: number;
  description: string;
  secret_sealed: string;
  /** The secret before the last rotation: deliveries are signed with both until previous_secret_until. */
  previous_secret_sealed: string | null;
  previous_secret_until: string | null;
  created_at: string;
  updated_at: string;
}

/** One event for one destination, tried until it succeeds, is refused for good, or runs out of tries. */
export interface WebhookDeliveryTable {
  id: string;
  project_id: string;
  destination_id: string;
  /** The `webhook-id` header, the same on every try. */
  event_id: string;
  event_type: string;
  /** The JSON body sent. */
  payload: string;
  /** PENDING | SUCCEEDED | FAILED | DEAD */
  status: string;
  /** Tries made (or started) so far. */
  attempt_count: number;
  /** attempt_count when the current round of tries began (0, or when it was last replayed). */
  round_start: number;
  /** While PENDING: when the next try is due; while a try runs, when it is presumed lost. */
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The log of a delivery's tries. */
export interface WebhookAttemptTable {
  delivery_id: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
}

/** The embedded job queue (SQLite); on Postgres, pg-boss keeps its own tables. */
export interface JobTable {
  id: string;
  queue: string;
  /** JSON. */
  data: string;
  /** At most one job per (queue, singleton_key) is waiting or running. */
  singleton_key: string | null;
  /** created | active | completed | failed */
  state: string;
  run_after: string;
  attempts: number;
  retry_limit: number;
  retry_delay_seconds: number;
  /** While active: when another worker may take the job over (its worker died). */
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  completed_at: string | null;
}

export interface Database {
  projects: ProjectTable;
  project_secret_keys: ProjectSecretKeyTable;
  signing_keys: SigningKeyTable;
  integrations: IntegrationTable;
  custom_integrations: CustomIntegrationTable;
  connected_users: ConnectedUserTable;
  credentials: CredentialTable;
  oauth_sessions: OAuthSessionTable;
  credential_events: CredentialEventTable;
  jobs: JobTable;
  workflows: WorkflowTable;
  workflow_versions: WorkflowVersionTable;
  app_events: AppEventTable;
  project_secrets: ProjectSecretTable;
  workflow_runs: WorkflowRunTable;
  workflow_run_steps: WorkflowRunStepTable;
  workflow_enablements: WorkflowEnablementTable;
  webhook_destinations: WebhookDestinationTable;
  webhook_deliveries: WebhookDeliveryTable;
  webhook_attempts: WebhookAttemptTable;
}

export type ProjectRow = Selectable<ProjectTable>;
export type IntegrationRow = Selectable<IntegrationTable>;
export type CustomIntegrationRow = Selectable<CustomIntegrationTable>;
export type ConnectedUserRow = Selectable<ConnectedUserTable>;
export type CredentialRow = Selectable<CredentialTable>;
export type NewCredential = Insertable<CredentialTable>;
export type CredentialUpdate = Updateable<CredentialTable>;
export type OAuthSessionRow = Selectable<OAuthSessionTable>;
export type JobRow = Selectable<JobTable>;
export type WebhookDestinationRow = Selectable<WebhookDestinationTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveryTable>;

/**
 * The JSON shapes the server answers (docs/api.md). Fields the server may add later are allowed through the
 * index signatures, so a newer server never breaks an older client's types.
 */

/** `VALID`, `INVALID` (the provider refused a refresh: the user must connect again) or `PENDING`. */
export type CredentialStatus = 'VALID' | 'INVALID' | 'PENDING';

/** One connected account in `GET /sdk/me`'s `allCredentials`. */
export interface CredentialSummary {
  id: string;
  status: CredentialStatus;
  providerId: string | null;
  providerData: Record<string, unknown>;
  accountType: string | null;
  dateCreated: string;
  dateUpdated: string;
  dateRefreshed: string | null;
  dateValidUntil: string | null;
  configurations: {
    id: string;
    isDefault: boolean;
    connectCredentialId: string;
    workflowSettings: Record<string, unknown>;
    sharedSettings: Record<string, unknown>;
    configMeta: Record<string, unknown>;
  }[];
  [field: string]: unknown;
}

/** A user's state for one integration; the account fields describe the default account (the first valid one). */
export interface IntegrationState {
  enabled: boolean;
  credentialId?: string;
  credentialStatus?: CredentialStatus;
  providerId?: string | null;
  providerData?: Record<string, unknown>;
  configuredWorkflows: Record<string, unknown>;
  sharedSettings?: Record<string, unknown>;
  allCredentials: CredentialSummary[];
  [field: string]: unknown;
}

/** `GET /sdk/me`: the connected user, every active integration of the project, and the user's metadata. */
export interface UserState {
  authenticated: true;
  /** The user token's `sub`. */
  userId: string;
  integrations: Record<string, IntegrationState>;
  meta: Record<string, unknown>;
  project: { id: string; name: string };
  resources: unknown[];
  [field: string]: unknown;
}

/** An input an install asks for (API key field, pre-OAuth input). */
export interface InstallInputField {
  id: string;
  label: string;
  type: string;
  required: boolean;
  help?: string;
  placeholder?: string;
  pattern?: string;
  options?: { value: string; label: string }[];
}

/** An item of `GET /sdk/integrations`: an active integration of the project. */
export interface SdkIntegration {
  id: string;
  type: string;
  name: string;
  brandColor: string;
  icon: string;
  isActive: boolean;
  customIntegrationId: string | null;
  customIntegration: { id: string; name: string; icon: string; slug: string } | null;
  /** The reference product's word: every typed credential is `basic`. */
  authenticationType: 'oauth' | 'oauth_client_credential' | 'basic' | string;
  /** Switchboard's finer word, which tells API keys from basic auth. */
  authenticationMethod: 'oauth' | 'oauthClientCredential' | 'apiKey' | 'basic' | string;
  /** True when typed input is needed before (or instead of) OAuth. */
  needPreOauthInputs: boolean;
  accountTypes: { id: string; label: string }[];
  preOAuthInputs: InstallInputField[];
  credentialFields: InstallInputField[];
  configs: { values: Record<string, unknown>; [field: string]: unknown }[];
  workflows: unknown[];
  [field: string]: unknown;
}

/** An item of `GET /sdk/metadata`; `icon` is a URL on the Switchboard server. */
export interface IntegrationMetadata {
  type: string;
  name: string;
  brandColor: string;
  icon: string;
  [field: string]: unknown;
}

/** A connected account as `GET /sdk/credentials` and the management API show it: metadata, never secrets. */
export interface Credential {
  id: string;
  projectId: string;
  integrationId: string;
  integrationType?: string;
  /** The connected user's internal id. */
  personaId: string;
  status: CredentialStatus;
  config: { configuredWorkflows?: Record<string, unknown>; sharedSettings?: Record<string, unknown>; [field: string]: unknown };
  providerId: string | null;
  providerData: Record<string, unknown>;
  accountType: string | null;
  dateCreated: string;
  dateUpdated: string;
  dateRefreshed: string | null;
  dateValidUntil: string | null;
  [field: string]: unknown;
}

/** Options of an install (`POST /sdk/credentials`). */
export interface InstallOptions {
  /** Add another account when the user already has one (otherwise 409 `INTEGRATION_ALREADY_INSTALLED`). */
  allowMultipleCredentials?: boolean;
  /** Replace this account's credentials in place. */
  selectedCredentialId?: string;
  [option: string]: unknown;
}

/** `DELETE /sdk/integrations/:integrationId`. */
export interface UninstallResult {
  success: boolean;
  removedCredentialIds: string[];
}

/** A project, as the management API shows it. */
export interface Project {
  id: string;
  name: string;
  allowedOrigins: string[];
  isDev: boolean;
  allowPrivateUpstreams: boolean;
  dateCreated: string;
  dateUpdated: string;
  [field: string]: unknown;
}

export interface ProjectChanges {
  name?: string;
  /** Exact origins (`https://app.example.com`) or an origin with a port wildcard (`http://localhost:*`); replaces the list. */
  allowedOrigins?: string[];
  /** Let custom integrations reach private, loopback and link-local addresses. */
  allowPrivateUpstreams?: boolean;
}

/** A public key user tokens may be signed with. */
export interface SigningKey {
  id: string;
  publicKeyPem: string;
  dateCreated: string;
}

/** What the Connect Portal shows for an integration. */
export interface PortalConfig {
  description?: string;
  overview?: string;
  /** `#RRGGBB`. */
  accentColor?: string;
}

/** A project's integration as the management API shows it: whether a client secret is set, never the secret. */
export interface ManagedIntegration {
  id: string;
  type: string;
  name: string;
  customIntegrationId: string | null;
  isActive: boolean;
  clientId: string | null;
  hasClientSecret: boolean;
  scopes: string[] | null;
  portal: PortalConfig;
  dateCreated: string;
  dateUpdated: string;
  [field: string]: unknown;
}

/** `PUT /projects/:id/integrations/:type`; `null` clears a value, an absent field keeps it. */
export interface IntegrationSettings {
  isActive?: boolean;
  clientId?: string | null;
  clientSecret?: string | null;
  scopes?: string[] | null;
  portal?: PortalConfig;
}

/** An input field of a custom integration (API-key fields, pre-OAuth inputs). */
export interface CustomInputField {
  id: string;
  label: string;
  type: 'text' | 'password' | 'url' | 'select';
  required?: boolean;
  help?: string;
  placeholder?: string;
  pattern?: string;
  options?: { value: string; label: string }[];
  secret?: boolean;
}

/** A custom integration's definition (docs/catalog.md); it is addressed as `custom.<slug>`. */
export interface CustomIntegrationInput {
  slug: string;
  name: string;
  description?: string;
  iconSvg: string;
  accentColor: string;
  auth:
    | {
        type: 'oauth2';
        authorizeUrl: string;
        tokenUrl: string;
        clientId: string;
        clientSecret: string;
        scopes?: string[];
        scopeSeparator?: string;
        pkce?: boolean;
        inputFields?: CustomInputField[];
      }
    | { type: 'api-key'; fields: CustomInputField[] }
    | { type: 'oauth2-client-credentials'; tokenUrl: string; scopes?: string[] };
  apiBaseUrl: string;
  /** A header template, e.g. `Authorization: Bearer {{accessToken}}` or `X-Api-Key: {{apiKey}}`. */
  apiAuthorization: string;
  /** Called with the credential to check it; absolute or relative to `apiBaseUrl`. */
  testEndpointUrl: string;
  /** Where the account's id sits in the test endpoint's JSON answer, e.g. `data.id`. */
  providerIdPath?: string;
}

/** `POST /projects/:id/custom-integrations`: the custom integration's id, its integration's id and its type. */
export interface CreatedCustomIntegration {
  id: string;
  integrationId: string;
  type: string;
}

/** A stored custom integration; `definition` is the integration definition the engine runs. */
export interface CustomIntegration {
  id: string;
  slug: string;
  integrationId: string;
  definition: Record<string, unknown>;
  dateCreated: string;
  dateUpdated: string;
}

/** A connected user with their accounts' metadata. */
export interface ConnectedUser {
  /** Switchboard's id for the connected user. */
  id: string;
  /** Your id for the user: the user token's `sub`. */
  userId: string;
  meta: Record<string, unknown>;
  dateCreated: string;
  credentials: Credential[];
}

/** `GET …/connected-users`: one page, oldest first; `nextCursor` is null on the last page. */
export interface ConnectedUsersPage {
  data: ConnectedUser[];
  nextCursor: string | null;
}

/** Paging of `listConnectedUsersPage`: `limit` 1 to 1000 (default 100), `cursor` the previous page's `nextCursor`. */
export interface ConnectedUsersPageOptions {
  limit?: number;
  cursor?: string;
}

export type CredentialEventName = 'installed' | 'reauthorized' | 'uninstalled' | 'refreshed' | 'invalidated' | 'config_updated';

/** An entry of the credential audit log. */
export interface CredentialEvent {
  id: string;
  credentialId: string;
  connectedUserId: string;
  integrationId: string;
  event: CredentialEventName | string;
  detail: Record<string, unknown>;
  dateCreated: string;
}

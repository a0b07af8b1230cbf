/**
 * The SDK's public shapes. Names and fields follow the product reference (docs/compatibility.md), so
 * code written against the reference SDK reads the same values here. What the server answers comes from
 * @switchboard/wire, the schemas the server serializes with; this file adds the SDK's own options and events.
 */

import type { Credential, InstallField, IntegrationMetadata, SdkWorkflow, UserState } from '@switchboard/wire';

export type { CredentialStatus, InstallField, IntegrationMetadata, IntegrationState } from '@switchboard/wire';

/** One connected account, as `allCredentials[i]` in the user state (the view `GET /sdk/credentials` gives). */
export type ConnectedAccount = Credential;

/** `getUser()` once signed in: `GET /sdk/me` as the server answers it. */
export type AuthenticatedUser = UserState;

export type SwitchboardUser = AuthenticatedUser | { authenticated: false };

export interface IntegrationInstallEvent {
  integrationId: string;
  integrationType: string;
  credentialId: string;
  /**
   * The new account as the user state shows it. Absent when the user token's JWT permissions do not show it (a
   * member-level token, until the backend signs one naming the new id).
   */
  credential?: ConnectedAccount;
}

export interface IntegrationUninstallEvent {
  integrationId: string;
  integrationType: string;
  /** The account disconnected, when one of several was picked. */
  credentialId?: string;
  /** Every account removed. */
  removedCredentialIds: string[];
}

export interface WorkflowChangeEvent {
  integrationId: string;
  workflowId: string;
  workflowStateChange: { enabled: boolean };
}

/** A published, active workflow of an integration, as `getWorkflows(type)` lists it. */
export type WorkflowInfo = Pick<SdkWorkflow, 'id' | 'name' | 'description' | 'triggerType' | 'defaultEnabled' | 'settings'>;

/** `onPortalOpen` / `onPortalClose` (and `connect()`'s `onOpen` / `onClose`). */
export interface PortalEvent {
  integrationId: string;
  integrationType: string;
}

export interface WorkflowTriggerOptions {
  /** The request's JSON body: `{{trigger.body}}` in the workflow. */
  body?: unknown;
  /** `{{trigger.query}}`. */
  query?: Record<string, string>;
  /** `{{trigger.headers}}`. */
  headers?: Record<string, string>;
  /** The account to run as; without it, the first valid one with the workflow enabled. */
  selectedCredentialId?: string;
}

export interface WorkflowOptions {
  /** The account to turn the workflow on or off for; without it, the first valid account of the integration. */
  selectedCredentialId?: string;
}

export interface SdkEvents {
  onIntegrationInstall: IntegrationInstallEvent;
  onIntegrationUninstall: IntegrationUninstallEvent;
  onWorkflowChange: WorkflowChangeEvent;
  onPortalOpen: PortalEvent;
  onPortalClose: PortalEvent;
  /** Any change of `getUser()`: authenticate, install, uninstall, metadata, logout. Not in the reference SDK. */
  onUserChange: Record<string, never>;
}
export type SdkEventName = keyof SdkEvents;
export type SdkEventHandler<N extends SdkEventName = SdkEventName> = (event: SdkEvents[N], user: SwitchboardUser) => void;

export interface InstallOptions {
  /** Skip the account type choice: one type, or a list of allowed ones (the first offered is used). */
  accountType?: string | string[];
  /** Connect another account when one is already connected, instead of rejecting. */
  allowMultipleCredentials?: boolean;
  /** Re-authorize this account in place. */
  selectedCredentialId?: string;
  /** Values for the integration's pre-OAuth inputs (e.g. a Shopify shop), to skip that stage. */
  preOptions?: Record<string, string>;
  /** How long the OAuth popup may stay open, in ms (default 10 minutes). */
  oauthTimeout?: number;
  /**
   * A page of yours, on one of the project's allowed origins, that the provider sends the user back to instead of
   * Switchboard's callback; it forwards the query (`code`, `state`) to `<Switchboard>/oauth/callback`
   * (docs/connect-portal.md#your-own-redirect-page).
   */
  overrideRedirectUrl?: string;
  onSuccess?: (event: IntegrationInstallEvent, user: SwitchboardUser) => void;
  onInstall?: (event: IntegrationInstallEvent, user: SwitchboardUser) => void;
  onError?: (error: Error) => void;
}

/** A custom dropdown's choices, as the portal lists them. */
export type DropdownSource = { label: string; value: string }[];

/** `connect(type, options)`: the install options, plus what the Connect Portal shows and reports. */
export interface ConnectOptions extends InstallOptions {
  /** Show the portal inside this element (or the element this selector finds) instead of over the whole page. */
  container?: HTMLElement | string;
  /** The portal's colours: `light`, `dark`, or `system` (the user's setting); without it, the integration's, else the project's. */
  theme?: 'light' | 'dark' | 'system';
  /** The portal's accent colour (buttons, links, focus rings), `#rgb` or `#rrggbb`; without it, the integration's, else the project's. */
  accentColor?: string;
  /** The portal's fonts, unquoted names and generic families (`Inter, system-ui, sans-serif`): fonts the device has, none is fetched. */
  fontFamily?: string;
  /** Choices for the integration's custom dropdown inputs, by input key. */
  dropdowns?: Record<string, DropdownSource>;
  /** After a headless install that showed the portal for typed input, keep it open on the connected account. */
  showPortalAfterInstall?: boolean;
  /** Skip the settings the integration asks for after connecting (they stay optional). */
  bypassPostOAuthPrompt?: boolean;
  onOpen?: (event: PortalEvent, user: SwitchboardUser) => void;
  onClose?: (event: PortalEvent, user: SwitchboardUser) => void;
  onUninstall?: (event: IntegrationUninstallEvent, user: SwitchboardUser) => void;
  onWorkflowChange?: (event: WorkflowChangeEvent, user: SwitchboardUser) => void;
}

export interface UninstallOptions {
  /** Disconnect only this account; without it every account of the integration is disconnected. */
  selectedCredentialId?: string;
}

export interface RequestOptions {
  method?: string;
  /** A plain object or array is sent as JSON; a string, Blob, FormData, URLSearchParams or ArrayBuffer as it is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Which connected account to call the API as (several accounts per integration). */
  selectedCredentialId?: string;
}

/** The stages of a headless install; `fields` describe what to ask. */
export type InstallStage =
  | { stage: 'accountType'; integrationType: string; options: { id: string; label: string }[] }
  | { stage: 'preOptions'; integrationType: string; fields: InstallField[] }
  | { stage: 'credentials'; integrationType: string; fields: InstallField[] }
  | { stage: 'oauth'; integrationType: string }
  | { stage: 'postOptions'; integrationType: string; fields: InstallField[]; credentialId: string }
  | { stage: 'done'; integrationType: string; event: IntegrationInstallEvent };
export type InstallStageName = InstallStage['stage'];

export interface InstallFlowCallbacks {
  /** Called with each stage that needs the user, then with `done`. */
  onNext?: (stage: InstallStage) => void;
  onComplete?: (event: IntegrationInstallEvent, user: SwitchboardUser) => void;
  /**
   * A refused input (a bad API key, a missing field) keeps the flow at its stage, so the user can correct it, and
   * `error.field` is the id of the field at fault when there is one. Any other error (popup blocked or closed,
   * consent denied, the user signed out) ends the flow. `cancel()` ends it without calling `onError`.
   */
  onError?: (error: Error, stage: InstallStage | undefined) => void;
}

export interface InstallFlow {
  start(integrationType: string, options?: InstallFlowCallbacks & Omit<InstallOptions, 'onSuccess' | 'onInstall' | 'onError'>): void;
  /** The stage the active flow waits at, if any. */
  current(): InstallStage | undefined;
  setAccountType(accountType: string): void;
  /** Call from the user's click: the OAuth popup opens within it. */
  setPreOptions(values: Record<string, string>): void;
  setCredentials(values: Record<string, string>): Promise<void>;
  setPostOptions(values: Record<string, string>): Promise<void>;
  cancel(): void;
}

export interface SwitchboardSDK {
  /** Point the SDK at a Switchboard server; by default it talks to the origin its script came from. */
  configureGlobal(options: { host: string; portalUrl?: string }): void;
  authenticate(projectId: string, userToken: string, options?: { metadata?: Record<string, unknown> }): Promise<void>;
  /** The last known state; `{ authenticated: false }` before `authenticate`. */
  getUser(): SwitchboardUser;
  getIntegrationMetadata(): IntegrationMetadata[];
  getIntegrationMetadata(integrationType: string): IntegrationMetadata | undefined;
  /** The integration's published workflows, as of `authenticate` (enabled or not: see `configuredWorkflows`). */
  getWorkflows(integrationType: string): WorkflowInfo[];
  /**
   * Shows the Connect Portal for an active integration of the project; resolves with the install event if the user
   * connected an account, or `undefined` once the portal closed without one (at once, with a console warning, for a type
   * the project does not offer).
   */
  connect(integrationType: string, options?: ConnectOptions): Promise<IntegrationInstallEvent | undefined>;
  /** Closes the Connect Portal if it is open. */
  closePortal(): void;
  /** Call from the user's click: the OAuth popup opens synchronously within it. */
  installIntegration(integrationType: string, options?: InstallOptions): Promise<IntegrationInstallEvent>;
  installFlow: InstallFlow;
  uninstallIntegration(integrationType: string, options?: UninstallOptions): Promise<IntegrationUninstallEvent>;
  setUserMetadata(meta: Record<string, unknown>): Promise<SwitchboardUser>;
  /** Sends an app event; resolves with the runs it started (docs/workflows.md). */
  event(name: string, payload?: Record<string, unknown>): Promise<{ runs: { id: string; workflowId: string }[] }>;
  /** Runs a workflow with a Request trigger and resolves with its Response step's JSON body. */
  workflow<T = unknown>(workflowId: string, options?: WorkflowTriggerOptions): Promise<T>;
  /** Turns a published workflow on for the user's account; `configuredWorkflows[id].enabled` then reads true. */
  enableWorkflow(workflowId: string, options?: WorkflowOptions): Promise<WorkflowChangeEvent>;
  disableWorkflow(workflowId: string, options?: WorkflowOptions): Promise<WorkflowChangeEvent>;
  /** Calls the integration's API through the Switchboard proxy as the user's connected account. */
  request<T = unknown>(integrationType: string, path: string, options?: RequestOptions): Promise<T>;
  subscribe<N extends SdkEventName>(name: N, handler: SdkEventHandler<N>): () => void;
  unsubscribe<N extends SdkEventName>(name: N, handler: SdkEventHandler<N>): void;
  /** Forget the user token and state (e.g. when the customer's user signs out). */
  logout(): void;
}

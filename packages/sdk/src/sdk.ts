import type { AppEventAccepted, UninstallResult } from '@switchboard/wire';
import { ApiClient, type Session } from './api-client.js';
import { browserEnvironment, httpOrigin, type BrowserEnvironment, type PopupWindow } from './environment.js';
import { IntegrationAlreadyInstalledError, IntegrationNotFoundError, SwitchboardError, UserNotAuthenticatedError } from './errors.js';
import { ConnectPortal } from './connect-portal.js';
import { EventHub } from './events.js';
import { HeadlessInstallFlow } from './install-flow.js';
import { fieldProblem, metadataOf, serverInstallOptions, workflowsOf, type IntegrationInfo } from './integrations.js';
import { clampOAuthTimeout, DEFAULT_OAUTH_TIMING, openOAuthPopup, runOAuth, type OAuthTiming } from './oauth-popup.js';
import { proxyRequest } from './proxy-request.js';
import type {
  AuthenticatedUser,
  ConnectedAccount,
  ConnectOptions,
  InstallOptions,
  IntegrationInstallEvent,
  IntegrationMetadata,
  IntegrationUninstallEvent,
  RequestOptions,
  SdkEventHandler,
  SdkEventName,
  SwitchboardSDK,
  SwitchboardUser,
  UninstallOptions,
  WorkflowChangeEvent,
  WorkflowOptions,
  WorkflowInfo,
  WorkflowTriggerOptions,
} from './types.js';
import { tokenClaims, tokenExpired } from './user-token.js';

export interface SwitchboardOptions {
  /** The Switchboard server's URL; `configureGlobal({ host })` changes it later. */
  host?: string;
  /** The browser seam (a fake one in unit tests). */
  environment?: BrowserEnvironment;
  /** OAuth popup timings (shorter ones in unit tests). */
  oauthTiming?: Partial<OAuthTiming>;
}

const SIGNED_OUT: SwitchboardUser = Object.freeze({ authenticated: false });

/**
 * What connect() checks of its options before the portal opens: the look as the server takes a project's
 * (ProjectPortalLook: nothing that leaves a CSS value) and an http(s) redirect page.
 */
const CONNECT_CHECKS = [
  ['overrideRedirectUrl', { test: httpOrigin }, 'an http(s) URL'],
  ['theme', /^(light|dark|system)$/, 'light, dark or system'],
  ['accentColor', /^#([\da-f]{3}){1,2}$/i, '#rgb or #rrggbb'],
  ['fontFamily', /^[\w ,-]{1,200}$/, 'unquoted font names, comma-separated'],
] as const;

/** Two sessions of the same user of the same project (a fresh token for the same user keeps installs going). */
const sameUser = (a: Session | undefined, b: Session | undefined) =>
  a !== undefined && b !== undefined && a.projectId === b.projectId && a.claims.sub === b.claims.sub && a.host === b.host;

/** An integration that needs typed input before (or instead of) OAuth, which the portal asks for. */
const needsTypedInput = (integration: IntegrationInfo, options: InstallOptions) =>
  integration.authenticationType !== 'oauth' || fieldProblem(integration.preOAuthInputs ?? [], options.preOptions ?? {}) !== undefined;

function normalizeHost(host: unknown): string {
  if (typeof host !== 'string' || !httpOrigin(host)) {
    throw new SwitchboardError('host must be an http(s) URL, e.g. https://switchboard.example.com', 'INVALID_HOST', undefined, 'host');
  }
  return host.replace(/\/+$/, '');
}

/** One SDK instance: its user session, user state and event subscribers. */
export class Switchboard implements SwitchboardSDK {
  readonly installFlow: HeadlessInstallFlow;
  /** @internal */ readonly environment: BrowserEnvironment;
  /** @internal */ readonly api: ApiClient;
  /** @internal */ readonly events = new EventHub();
  /** @internal */ readonly portal = new ConnectPortal(this);
  private host: string | undefined;
  /** @internal Where the Connect Portal app is served; `<host>/ui` unless configureGlobal names another URL. */
  portalUrl: string | undefined;
  private session: Session | undefined;
  private user: SwitchboardUser = SIGNED_OUT;
  private integrations: IntegrationInfo[] = [];
  private readonly timing: OAuthTiming;

  constructor(options: SwitchboardOptions = {}) {
    this.host = options.host === undefined ? undefined : normalizeHost(options.host);
    this.environment = options.environment ?? browserEnvironment();
    this.timing = { ...DEFAULT_OAUTH_TIMING, ...options.oauthTiming };
    this.api = new ApiClient(this.environment, () => this.session, () => this.logout());
    this.installFlow = new HeadlessInstallFlow(this);
  }

  configureGlobal(options: { host: string; portalUrl?: string }): void {
    this.host = normalizeHost(options?.host);
    this.portalUrl = options.portalUrl === undefined ? undefined : normalizeHost(options.portalUrl);
  }

  async authenticate(projectId: string, userToken: string, options: { metadata?: Record<string, unknown> } = {}): Promise<void> {
    if (!this.host) throw new SwitchboardError('No Switchboard host: call configureGlobal({ host }) first', 'NO_HOST', undefined, 'host');
    if (typeof projectId !== 'string' || !projectId) throw new SwitchboardError('projectId is required', 'INVALID_ARGUMENT', undefined, 'projectId');
    const claims = typeof userToken === 'string' ? tokenClaims(userToken) : undefined;
    if (!claims) throw new UserNotAuthenticatedError('The user token is not a JWT');
    if (tokenExpired(claims, this.environment.now())) throw new UserNotAuthenticatedError('The user token has expired');

    // Kept in memory only: never in localStorage or a cookie, where other scripts or a later visitor could read it.
    const session: Session = { host: this.host, projectId, userToken, claims };
    if (this.session && !sameUser(this.session, session)) {
      this.installFlow.abandon(new UserNotAuthenticatedError('Another user signed in: the install flow ended'));
    }
    this.session = session;
    try {
      const [user, integrations] = await Promise.all([
        this.api.json<AuthenticatedUser>('GET', '/me'),
        this.api.json<IntegrationInfo[]>('GET', '/integrations'),
      ]);
      if (this.session !== session) return; // a newer authenticate() or logout() won
      this.integrations = integrations;
      this.setUser(user);
      if (options.metadata) await this.setUserMetadata(options.metadata);
      // As the reference SDK does: the portal loads hidden, so connect() only has to show it.
      this.portal.preload();
    } catch (error) {
      if (this.session === session) this.logout();
      throw error;
    }
  }

  getUser(): SwitchboardUser {
    return this.user;
  }

  getIntegrationMetadata(): IntegrationMetadata[];
  getIntegrationMetadata(integrationType: string): IntegrationMetadata | undefined;
  getIntegrationMetadata(integrationType?: string): IntegrationMetadata[] | IntegrationMetadata | undefined {
    if (integrationType === undefined) return this.integrations.map(metadataOf);
    const integration = this.integrations.find((candidate) => candidate.type === integrationType);
    return integration && metadataOf(integration);
  }

  getWorkflows(integrationType: string): WorkflowInfo[] {
    return workflowsOf(this.integrations.find((candidate) => candidate.type === integrationType));
  }

  /**
   * Shows the Connect Portal for an active integration; a type the project does not offer (unknown, or not active)
   * shows nothing and says why in the console, as the reference SDK's `connect` does nothing for it.
   */
  connect(integrationType: string, options: ConnectOptions = {}): Promise<IntegrationInstallEvent | undefined> {
    try {
      this.api.current();
      for (const [key, pattern, what] of CONNECT_CHECKS) {
        const value = options[key];
        if (value !== undefined && !(typeof value === 'string' && pattern.test(value))) {
          throw new SwitchboardError(`${key} must be ${what}`, 'INVALID_ARGUMENT', undefined, key);
        }
      }
    } catch (error) {
      options.onError?.(error as Error);
      return Promise.reject(error);
    }
    const integration = this.integrations.find((candidate) => candidate.type === integrationType && candidate.isActive);
    if (!integration) {
      console.warn(`[switchboard] connect(): no active integration ${String(integrationType)} in this project, nothing to show`);
      return Promise.resolve(undefined);
    }
    return this.portal.open(integration, options, false);
  }

  closePortal(): void {
    this.portal.close();
  }

  installIntegration(integrationType: string, options: InstallOptions = {}): Promise<IntegrationInstallEvent> {
    let pending: Promise<IntegrationInstallEvent>;
    try {
      this.api.current();
      const integration = this.integration(integrationType);
      if (needsTypedInput(integration, options) && typeof document !== 'undefined') {
        this.checkCanInstall(integration, options);
        // Typed input (an API key, a pre-OAuth input): the portal asks for it alone, then closes by itself.
        return this.portal.open(integration, options, true).then((event) => {
          if (event) return event;
          const error = new SwitchboardError('The portal was closed before an account was connected', 'INSTALL_CANCELLED');
          options.onError?.(error);
          throw error;
        });
      }
      pending = this.oauthInstallFromClick(integrationType, options);
    } catch (error) {
      options.onError?.(error as Error);
      return Promise.reject(error);
    }
    return pending.then(
      (event) => {
        options.onSuccess?.(event, this.user);
        options.onInstall?.(event, this.user);
        return event;
      },
      (error: Error) => {
        options.onError?.(error);
        throw error;
      },
    );
  }

  /**
   * @internal An OAuth install from the user's click (the page's or the portal's): the popup opens before any await.
   * Throws at once what is wrong before the popup (a blocked one included).
   */
  oauthInstallFromClick(integrationType: string, options: InstallOptions): Promise<IntegrationInstallEvent> {
    this.api.current();
    const integration = this.integration(integrationType);
    if (integration.authenticationType !== 'oauth') {
      throw new SwitchboardError(
        `${integration.name} is connected with typed credentials: use installFlow.start('${integrationType}') to ask for them`,
        'INSTALL_FLOW_REQUIRED',
      );
    }
    const problem = fieldProblem(integration.preOAuthInputs ?? [], options.preOptions ?? {});
    if (problem) {
      throw new SwitchboardError(`${problem.message}: pass installOptions.preOptions or use installFlow`, 'INSTALL_FLOW_REQUIRED', undefined, problem.field);
    }
    this.checkCanInstall(integration, options);
    // Synchronously, before any await: browsers allow popups only within the user's click.
    return this.oauthInstall(integrationType, openOAuthPopup(this.environment), options);
  }

  /** @internal The project's active integrations, as `GET /sdk/integrations` listed them. */
  getIntegrations(): readonly IntegrationInfo[] {
    return this.integrations;
  }

  async uninstallIntegration(integrationType: string, options: UninstallOptions = {}): Promise<IntegrationUninstallEvent> {
    this.api.current();
    const integration = this.integration(integrationType);
    const { selectedCredentialId } = options;
    const result = await this.api.json<UninstallResult>(
      'DELETE',
      `/integrations/${encodeURIComponent(integration.id)}`,
      undefined,
      selectedCredentialId ? { 'X-Paragon-Credential': selectedCredentialId } : {},
    );
    const user = await this.refreshUser();
    const event: IntegrationUninstallEvent = {
      integrationId: integration.id,
      integrationType,
      ...(selectedCredentialId && { credentialId: selectedCredentialId }),
      removedCredentialIds: result.removedCredentialIds,
    };
    this.events.emit('onIntegrationUninstall', event, user);
    return event;
  }

  /** Sends an app event: every workflow the user has enabled that listens to it starts a run. */
  event(name: string, payload: Record<string, unknown> = {}): Promise<AppEventAccepted> {
    return this.api.json<AppEventAccepted>('POST', '/events/trigger', { name, payload });
  }

  /** Runs a workflow with a Request trigger; resolves with its Response step's JSON body (or `{ runId }`). */
  workflow<T = unknown>(workflowId: string, options: WorkflowTriggerOptions = {}): Promise<T> {
    const query = options.query ? `?${new URLSearchParams(options.query)}` : '';
    const headers = { ...options.headers, ...(options.selectedCredentialId && { 'X-Paragon-Credential': options.selectedCredentialId }) };
    return this.api.json<T>('POST', `/triggers/${encodeURIComponent(workflowId)}${query}`, options.body ?? {}, headers);
  }

  /** Turns a workflow on for the user's account (the first valid one, or `selectedCredentialId`). */
  enableWorkflow(workflowId: string, options: WorkflowOptions = {}): Promise<WorkflowChangeEvent> {
    return this.changeWorkflow(workflowId, true, options);
  }

  disableWorkflow(workflowId: string, options: WorkflowOptions = {}): Promise<WorkflowChangeEvent> {
    return this.changeWorkflow(workflowId, false, options);
  }

  private async changeWorkflow(workflowId: string, enabled: boolean, options: WorkflowOptions): Promise<WorkflowChangeEvent> {
    this.api.current();
    const integration = this.integrations.find((candidate) => candidate.workflows.some((workflow) => workflow.id === workflowId));
    if (!integration) throw new SwitchboardError(`No workflow ${workflowId} in this project's integrations`, 'WORKFLOW_NOT_FOUND', 404);
    const { selectedCredentialId } = options;
    await this.api.json<ConnectedAccount>(
      enabled ? 'POST' : 'DELETE',
      `/workflows/${encodeURIComponent(workflowId)}`,
      undefined,
      selectedCredentialId ? { 'X-Paragon-Credential': selectedCredentialId } : {},
    );
    const user = await this.refreshUser();
    const event: WorkflowChangeEvent = { integrationId: integration.id, workflowId, workflowStateChange: { enabled } };
    this.events.emit('onWorkflowChange', event, user);
    return event;
  }

  async setUserMetadata(meta: Record<string, unknown>): Promise<SwitchboardUser> {
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
      throw new SwitchboardError('meta must be an object', 'INVALID_ARGUMENT', undefined, 'meta');
    }
    const session = this.session;
    const user = await this.api.json<AuthenticatedUser>('PATCH', '/me', { meta });
    if (this.session === session) this.setUser(user);
    return this.user;
  }

  request<T = unknown>(integrationType: string, path: string, options: RequestOptions = {}): Promise<T> {
    return proxyRequest(this.api, integrationType, path, options, () => {
      // The provider refused the account, or Switchboard marked it invalid: show the user the account's new state.
      this.refreshUser().catch(() => undefined);
    }) as Promise<T>;
  }

  subscribe<N extends SdkEventName>(name: N, handler: SdkEventHandler<N>): () => void {
    return this.events.subscribe(name, handler);
  }

  unsubscribe<N extends SdkEventName>(name: N, handler: SdkEventHandler<N>): void {
    this.events.unsubscribe(name, handler);
  }

  logout(): void {
    this.portal.close();
    const wasSignedIn = this.session !== undefined || this.user.authenticated;
    this.session = undefined;
    this.integrations = [];
    // State first: the flow's onError then sees the user signed out.
    if (wasSignedIn) this.setUser(SIGNED_OUT);
    this.installFlow.abandon(new UserNotAuthenticatedError('Signed out: the install flow ended'));
  }

  /** @internal The project's integration of this type, or IntegrationNotFoundError. */
  integration(integrationType: string): IntegrationInfo {
    const integration = this.integrations.find((candidate) => candidate.type === integrationType);
    if (!integration) throw new IntegrationNotFoundError(`No active integration ${String(integrationType)} in this project`);
    return integration;
  }

  /** @internal Refuses a second account unless asked for one (accounts marked INVALID do not count: reconnecting repairs them). */
  checkCanInstall(integration: IntegrationInfo, options: InstallOptions): void {
    if (options.allowMultipleCredentials || options.selectedCredentialId || !this.user.authenticated) return;
    const accounts = this.user.integrations[integration.type]?.allCredentials ?? [];
    if (accounts.some((account) => account.status !== 'INVALID')) {
      throw new IntegrationAlreadyInstalledError(`${integration.name} is already connected: pass allowMultipleCredentials to connect another account`, 409);
    }
  }

  /**
   * @internal Runs OAuth in an opened popup, then records the install, for the user who started it only. An account
   * connected after the popup seemed closed (see runOAuth) still updates the state and fires `onIntegrationInstall`.
   */
  async oauthInstall(integrationType: string, popup: PopupWindow, options: InstallOptions, signal?: AbortSignal): Promise<IntegrationInstallEvent> {
    const timing = { ...this.timing, timeoutMs: clampOAuthTimeout(options.oauthTimeout, this.timing.timeoutMs) };
    const startedBy = this.api.current();
    const stillTheirs = () => {
      if (!sameUser(this.session, startedBy)) throw new UserNotAuthenticatedError('The user changed before the account was connected');
    };
    const credentialId = await runOAuth(
      this.api,
      this.environment,
      popup,
      { integrationType, installOptions: serverInstallOptions(options) },
      timing,
      {
        ...(signal && { signal }),
        onLateSuccess: (lateId) => {
          if (sameUser(this.session, startedBy)) this.completeInstall(integrationType, lateId).catch(() => undefined);
        },
      },
    );
    stillTheirs();
    return this.completeInstall(integrationType, credentialId);
  }

  /** @internal After an account is connected: fresh user state, then `onIntegrationInstall`. */
  async completeInstall(integrationType: string, credentialId: string): Promise<IntegrationInstallEvent> {
    const integration = this.integration(integrationType);
    const user = await this.refreshUser();
    const accounts = user.authenticated ? user.integrations[integrationType]?.allCredentials ?? [] : [];
    // A token whose JWT permissions hide new accounts does not see this one: the install still happened.
    const credential = accounts.find((account) => account.id === credentialId);
    const event: IntegrationInstallEvent = { integrationId: integration.id, integrationType, credentialId, ...(credential && { credential }) };
    this.events.emit('onIntegrationInstall', event, user);
    return event;
  }

  /** @internal Reloads the user state from the server. */
  async refreshUser(): Promise<SwitchboardUser> {
    const session = this.session;
    const user = await this.api.json<AuthenticatedUser>('GET', '/me');
    if (this.session === session) this.setUser(user);
    return this.user;
  }

  private setUser(user: SwitchboardUser): void {
    this.user = user;
    this.events.emit('onUserChange', {}, user);
  }
}

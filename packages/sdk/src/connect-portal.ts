/**
 * The Connect Portal: Switchboard's portal app (`<host>/ui`) in an iframe, spoken to with the reference SDK's
 * protocol so that one portal serves both SDKs. The SDK posts `UI_UPDATE` (`nextContext`, `nextModalState`); the
 * portal calls SDK functions back with `SDK_FUNCTION_INVOCATION` and gets `SDK_FUNCTION_RESPONSE` or
 * `SDK_FUNCTION_ERROR`. Messages go to, and are taken from, the portal's exact origin and window only.
 *
 * This module works on the page's document (the only one besides environment.ts that does); Chromium tests it.
 */
import { switchboardErrorOf, type Session } from './api-client.js';
import { SwitchboardError } from './errors.js';
import { callSafely } from './events.js';
import type { IntegrationInfo } from './integrations.js';
import type { Switchboard } from './sdk.js';
import type { ConnectedAccount, ConnectOptions, IntegrationInstallEvent, PortalEvent, SwitchboardUser } from './types.js';

type Styles = Record<string, string>;

/**
 * Inline `!important` declarations beat every author stylesheet, `!important` or not, and `all: initial` first undoes
 * whatever a host rule on `dialog`, `iframe`, `div` or `*` would add (opacity, transforms, filters, borders...), and
 * the browser's own dialog margins, padding, border and background.
 */
const pin = (element: HTMLElement, styles: Styles) => {
  element.style.cssText = Object.entries({ all: 'initial', ...styles })
    .map(([name, value]) => `${name}:${value}!important`)
    .join(';');
};

const shellStyles = (inContainer: boolean, shown: boolean): Styles => ({
  display: shown ? 'block' : 'none',
  position: inContainer ? 'absolute' : 'fixed',
  inset: '0',
  width: '100%',
  height: '100%',
  overflow: 'hidden',
  'z-index': '2147483647',
});

/** The install options the portal may pass on to an install (the rest of ConnectOptions are the page's callbacks). */
const INSTALL_KEYS = ['accountType', 'allowMultipleCredentials', 'selectedCredentialId', 'preOptions', 'oauthTimeout', 'overrideRedirectUrl'] as const;
/** The connect() options laid over the integration's look (which the server resolved over the project's). */
const LOOK_KEYS = ['theme', 'accentColor', 'fontFamily'] as const;
/** The connect() options the portal reads in `apiInstallationOptions`. */
const PORTAL_INSTALL_KEYS = ['accountType', 'allowMultipleCredentials', 'selectedCredentialId', 'showPortalAfterInstall', 'bypassPostOAuthPrompt'] as const;

interface PortalSession {
  integration: IntegrationInfo;
  options: ConnectOptions;
  /** A headless `installIntegration` that needed the portal for typed input: it closes once the account exists. */
  headless: boolean;
  /** What had the focus before the portal opened, to give it back. */
  returnFocus: Element | null;
  opened: boolean;
  revealed?: boolean;
  installed?: IntegrationInstallEvent;
  connectionError?: ReturnType<typeof connectionError>;
  settle(event: IntegrationInstallEvent | undefined): void;
  unsubscribe: (() => void)[];
}

const plainError = (error: unknown) => {
  const { name = 'Error', message = String(error), code, field } = error as SwitchboardError;
  return { name, message, ...(code && { code }), ...(field && { field }) };
};

/** A failed OAuth install as the portal reads it (the reference SDK's popup error message), with our fields too. */
const connectionError = (error: unknown) => {
  const plain = plainError(error);
  return { type: 'oauth_error_callback', error: plain.message, errorResponse: { message: plain.message, code: plain.code }, ...plain };
};

export class ConnectPortal {
  private shell: HTMLElement | undefined;
  private frame: HTMLIFrameElement | undefined;
  private loaded = false;
  private origin = '';
  private session: PortalSession | undefined;
  private savedOverflow: [string, string][] = [];

  constructor(private readonly sdk: Switchboard) {
    sdk.events.subscribe('onUserChange', () => this.render());
  }

  /** Loads the portal in its hidden iframe ahead of time, so that `connect()` only has to show it. */
  preload(): void {
    if (typeof document !== 'undefined' && document.body) this.ensureFrame(undefined);
  }

  /** Shows the portal for `integration`; resolves with the install event, or undefined once it closes without one. */
  open(integration: IntegrationInfo, options: ConnectOptions, headless: boolean): Promise<IntegrationInstallEvent | undefined> {
    const returnFocus = document.activeElement;
    if (this.session) this.close();
    const container = typeof options.container === 'string' ? document.querySelector<HTMLElement>(options.container) : options.container;
    if (options.container !== undefined && !container) {
      console.warn(`[switchboard] connect(): no element ${String(options.container)}; showing the portal over the page`);
    }
    return new Promise((resolve) => {
      const events = this.sdk.events;
      const mine = (type: string) => type === integration.type;
      const session: PortalSession = {
        integration,
        options,
        headless,
        returnFocus,
        opened: false,
        settle: resolve,
        unsubscribe: [
          events.subscribe('onIntegrationInstall', (event, user) => {
            if (!mine(event.integrationType) || this.session !== session) return;
            session.installed = event;
            session.connectionError = undefined;
            callSafely(() => (options.onInstall ?? options.onSuccess)?.(event, user));
            if (headless && !options.showPortalAfterInstall) this.close();
          }),
          events.subscribe('onIntegrationUninstall', (event, user) => {
            if (mine(event.integrationType)) callSafely(() => options.onUninstall?.(event, user));
          }),
          events.subscribe('onWorkflowChange', (event, user) => {
            if (event.integrationId === integration.id) callSafely(() => options.onWorkflowChange?.(event, user));
          }),
        ],
      };
      this.session = session;
      this.ensureFrame(container ?? undefined);
      this.render();
      this.reveal();
    });
  }

  /**
   * Shows the (still transparent) frame as soon as the portal has loaded, before it draws: the portal's dialog then
   * mounts visible and can take the focus, and the page is inert at once. A portal that does not say it is shown
   * within 5 s (not Switchboard's, or broken) is closed, so an invisible frame never holds the page.
   */
  private reveal(): void {
    const session = this.session;
    if (!session || !this.loaded || session.revealed) return;
    session.revealed = true;
    this.show(true);
    setTimeout(() => {
      if (this.session !== session || session.opened) return;
      console.warn('[switchboard] connect(): the Connect Portal did not open');
      this.close();
    }, 5000);
  }

  /** Hides the portal, gives the focus back and settles `connect()`'s promise. */
  close(): void {
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    session.unsubscribe.forEach((stop) => stop());
    this.show(false);
    this.render();
    const focusable = session.returnFocus as HTMLElement | null;
    if (focusable?.isConnected && typeof focusable.focus === 'function') focusable.focus();
    if (session.opened) this.emit('onPortalClose', session, session.options.onClose);
    session.settle(session.installed);
  }

  /** The iframe and its shell: a modal `<dialog>` over the page (the top layer: no host z-index or transform reaches it), or a box in `container`. */
  private ensureFrame(container: HTMLElement | undefined): void {
    const host = this.sessionHost();
    const parent = container ?? document.body;
    const src = host && `${this.sdk.portalUrl ?? `${host.host}/ui`}?projectId=${encodeURIComponent(host.projectId)}`;
    if (this.shell && this.frame && this.shell.parentElement === parent && (!src || this.frame.src === src)) return;
    this.shell?.remove();
    const shell = document.createElement(container ? 'div' : 'dialog');
    const frame = document.createElement('iframe');
    pin(frame, {});
    pin(shell, shellStyles(Boolean(container), false));
    frame.title = 'Connect Portal';
    frame.allow = 'clipboard-write';
    this.loaded = false;
    frame.addEventListener('load', () => {
      this.loaded = true;
      this.render();
      this.reveal();
    });
    if (!this.shell) window.addEventListener('message', (event) => this.receive(event));
    // Esc with the focus on the page's side of the modal dialog (inside the portal, the portal handles it).
    shell.addEventListener('cancel', (event) => {
      event.preventDefault();
      this.close();
    });
    if (src) {
      this.origin = new URL(src).origin;
      frame.src = src;
    }
    shell.append(frame);
    parent.append(shell);
    this.shell = shell;
    this.frame = frame;
  }

  private sessionHost(): Session | undefined {
    try {
      return this.sdk.api.current();
    } catch {
      return undefined;
    }
  }

  /** `updateContainerStyle({ isModalShown })`: the portal shows itself once it has drawn the integration. */
  private show(shown: boolean): void {
    const { shell, frame, session } = this;
    if (!shell || !frame) return;
    const inContainer = shell.tagName !== 'DIALOG';
    if (shown && !session) return;
    pin(shell, shellStyles(inContainer, shown));
    const dialog = shell as HTMLDialogElement;
    if (inContainer) {
      // nothing more: the page around stays usable
    } else if (shown && !dialog.open) {
      dialog.showModal();
      this.lockScroll(true);
    } else if (!shown && dialog.open) {
      dialog.close();
      this.lockScroll(false);
    }
    if (!shown) return;
    // The frame's colour scheme is the portal's: on a mismatch the browser paints the frame opaque, hiding the page.
    const theme = session!.options.theme ?? session!.integration.configs[0]?.values.theme;
    pin(frame, { display: 'block', width: '100%', height: '100%', 'color-scheme': theme === 'dark' || theme === 'light' ? theme : 'light dark' });
    frame.focus();
  }

  private lockScroll(lock: boolean): void {
    const elements = [document.documentElement, document.body];
    if (lock) {
      this.savedOverflow = elements.map((element) => [element.style.getPropertyValue('overflow'), element.style.getPropertyPriority('overflow')]);
      elements.forEach((element) => element.style.setProperty('overflow', 'hidden', 'important'));
    } else {
      elements.forEach((element, index) => {
        const [value, priority] = this.savedOverflow[index] ?? ['', ''];
        if (value) element.style.setProperty('overflow', value, priority);
        else element.style.removeProperty('overflow');
      });
    }
  }

  /** `onOpen()`: the portal is on screen. */
  private opened(): void {
    const session = this.session;
    if (!session) return;
    this.show(true);
    if (session.opened) return;
    session.opened = true;
    this.emit('onPortalOpen', session, session.options.onOpen);
  }

  private emit(name: 'onPortalOpen' | 'onPortalClose', session: PortalSession, callback: ConnectOptions['onOpen']): void {
    const event: PortalEvent = { integrationId: session.integration.id, integrationType: session.integration.type };
    const user = this.sdk.getUser();
    if (callback) callSafely(() => callback(event, user));
    this.sdk.events.emit(name, event, user);
  }

  /** `UI_UPDATE`: the state the portal renders, as the reference SDK sends it. */
  private render(): void {
    const frame = this.frame;
    const host = this.sessionHost();
    if (!frame?.contentWindow || !this.loaded || !this.origin) return;
    const session = this.session;
    const user = this.sdk.getUser();
    const options = session?.options ?? {};
    const environments = Object.fromEntries(
      ['ZEUS', 'CONNECT', 'CDN'].map((name) => [`${name}_PUBLIC_URL`, host?.host]),
    );
    const message = {
      messageType: 'UI_UPDATE',
      nextContext: {
        // Without the user token (the reference SDK sends it): the portal makes every call through the SDK.
        user,
        projectId: host?.projectId,
        environments,
        project: user.authenticated ? user.project : undefined,
        endUserIntegrationConfig: session && { overrideRedirectUrl: options.overrideRedirectUrl },
      },
      nextModalState: {
        integration: session?.integration ?? null,
        // The page's look over the integration's (and project's) portal settings, where the portal reads them.
        config: session && {
          ...withDropdowns(session.integration.configs[0]?.values, options.dropdowns),
          ...Object.fromEntries(LOOK_KEYS.filter((key) => options[key]).map((key) => [key, options[key]])),
        },
        apiInstallationOptions: {
          isApiInstallation: Boolean(session?.headless),
          ...Object.fromEntries(PORTAL_INSTALL_KEYS.map((key) => [key, options[key]])),
        },
        selectedCredentialId: options.selectedCredentialId,
        connectionError: session?.connectionError,
        shouldShowPortalAfterInstall: false,
      },
    };
    frame.contentWindow.postMessage(message, this.origin);
  }

  /** A message from the portal: taken only from its window and exact origin. */
  private receive(event: MessageEvent): void {
    const data = event.data as { messageType?: unknown; id?: unknown; type?: unknown; parameters?: unknown } | null;
    const target = this.frame?.contentWindow;
    if (!target || event.source !== target || event.origin !== this.origin) return;
    if (data?.messageType !== 'SDK_FUNCTION_INVOCATION' || typeof data.type !== 'string') return;
    const { id, type } = data;
    const call = Object.hasOwn(this.functions, type) ? this.functions[type] : undefined;
    const reply = (message: Record<string, unknown>) => target.postMessage(message, this.origin);
    // Called synchronously, within the message event: an OAuth popup opened here still counts as the user's click.
    new Promise((resolve) => {
      if (!call) throw new SwitchboardError(`The portal may not call ${type}`, 'INVALID_ARGUMENT');
      resolve(call(...(Array.isArray(data.parameters) ? data.parameters : [])));
    }).then(
      (result) => reply({ messageType: 'SDK_FUNCTION_RESPONSE', id, type, result }),
      (error: unknown) => {
        const plain = plainError(error);
        // A server refusal's message is its `{ message, code, field }` as JSON text, as the reference SDK sends it (the
        // portal reads the field from it); `code` and `field` are also given as they are.
        const message = (error as SwitchboardError).status ? JSON.stringify({ message: plain.message, code: plain.code, field: plain.field }) : plain.message;
        reply({ messageType: 'SDK_FUNCTION_ERROR', error: true, id, type, ...plain, message });
      },
    );
  }

  /** The SDK functions the portal may call, by the reference SDK's names. */
  private readonly functions: Record<string, (...args: any[]) => unknown> = {
    updateContainerStyle: (style?: { isModalShown?: boolean }) => (style?.isModalShown ? this.opened() : this.show(false)),
    onOpen: () => this.opened(),
    onClose: () => this.close(),
    closePortal: () => this.close(),
    // From the user's click in the portal: the popup opens now; a blocked one is the answer, the rest arrives as UI_UPDATE.
    startOAuthFlow: (type: string, options: Record<string, unknown> = {}) => {
      this.install(type, { ...options, ...(options.endUserSuppliedValues !== undefined && { preOptions: options.endUserSuppliedValues }) }).catch(() => undefined);
    },
    uninstallIntegration: (type: string, options?: { selectedCredentialId?: string }) => this.sdk.uninstallIntegration(type, options),
    enableWorkflow: (id: string, options?: { selectedCredentialId?: string }) => this.sdk.enableWorkflow(id, options),
    disableWorkflow: (id: string, options?: { selectedCredentialId?: string }) => this.sdk.disableWorkflow(id, options),
    request: (type: string, path: string, options?: object) => this.sdk.request(type, path, options),
    sendConnectRequest: (path: string, init?: RequestInit, prefixed?: boolean) => this.apiCall(path, init, prefixed !== false),
    // The SDK raises install, uninstall and workflow events from what it sees happen: the portal's own are not needed.
    triggerSDKEvent: () => undefined,
    // The SDK reloaded the user state after sendConnectRequest already.
    updateCredentialData: () => undefined,
    // Only the settings named: the server merges them into the account's config (docs/connect-portal.md).
    updateIntegrationUserSettings: (type: string, values: Record<string, unknown>, options?: { selectedCredentialId?: string }) =>
      this.saveSettings(type, options?.selectedCredentialId, { sharedSettings: values }),
    updateWorkflowUserSettings: (type: string, workflowId: string, values: Record<string, unknown>, options?: { selectedCredentialId?: string }) =>
      this.saveSettings(type, options?.selectedCredentialId, { workflowSettings: { [workflowId]: values } }),
  };

  /**
   * An OAuth install the user started in the portal, with the connect() options. A popup the browser blocked throws
   * at once (the portal's answer); a later failure becomes the portal's `connectionError` and reaches `onError`.
   */
  private install(type: string, options: Record<string, unknown>): Promise<IntegrationInstallEvent> {
    const session = this.session;
    const given = session?.options ?? {};
    const merged: Record<string, unknown> = {};
    for (const key of INSTALL_KEYS) merged[key] = options[key] ?? given[key];
    const failed = (error: unknown) => {
      if (!session || this.session !== session) return;
      session.connectionError = connectionError(error);
      this.render();
      callSafely(() => given.onError?.(error as Error));
    };
    try {
      const pending = this.sdk.oauthInstallFromClick(type, merged);
      pending.catch(failed);
      return pending;
    } catch (error) {
      failed(error);
      throw error;
    }
  }

  /** Saves a change of an account's config (`PATCH /sdk/credentials/:id`); a refused value rejects, naming its field. */
  private async saveSettings(type: string, credentialId: string | undefined, change: Record<string, unknown>) {
    const user = this.sdk.getUser();
    const state = user.authenticated ? user.integrations[type] : undefined;
    const account = state?.allCredentials.find((candidate) => candidate.id === (credentialId ?? state.credentialId));
    if (!account) throw new SwitchboardError(`No ${type} account to save settings on`, 'CREDENTIAL_NOT_FOUND', 404, 'selectedCredentialId');
    await this.sdk.api.json('PATCH', `/credentials/${encodeURIComponent(account.id)}/settings`, change);
    return { userState: await this.sdk.refreshUser(), errors: {} };
  }

  /**
   * `sendConnectRequest(path, init)`: a call to the SDK REST API as the user (`/sdk/...`, or the full
   * `/projects/<this project>/sdk/...` path), answered with its JSON. After a change, the user state is reloaded and
   * a new account raises its install event.
   */
  private async apiCall(path: string, init: RequestInit = {}, prefixed = true): Promise<unknown> {
    const session = this.sdk.api.current();
    const prefix = `${prefixed ? '' : `/projects/${session.projectId}`}/sdk/`;
    const relative = String(path).startsWith(prefix) ? String(path).slice(prefix.length - 1) : '';
    if (!relative || /(^|\/)\.\.?(\/|\?|$)/.test(relative)) throw new SwitchboardError('Not an SDK REST API path of this project', 'INVALID_ARGUMENT', undefined, 'path');
    const method = (init.method ?? 'GET').toUpperCase();
    const before = this.sdk.getUser();
    const response = await this.sdk.api.send(relative, {
      method,
      headers: { ...(init.body !== undefined && { 'Content-Type': 'application/json' }), ...(init.headers as Record<string, string>) },
      ...(init.body !== undefined && { body: init.body }),
    });
    if (!response.ok) throw (await switchboardErrorOf(response)) ?? new SwitchboardError(`Switchboard answered ${response.status}`, 'UNEXPECTED_RESPONSE', response.status);
    const text = await response.text();
    const result: unknown = text ? JSON.parse(text) : undefined;
    if (method !== 'GET') announceInstalls(this.sdk, before, await this.sdk.refreshUser());
    return result;
  }
}

/** The integration's portal config with the page's dropdown choices filled in (`customDropdownOptions`), as the reference SDK does. */
function withDropdowns(config: IntegrationInfo['configs'][number]['values'] | undefined, dropdowns: ConnectOptions['dropdowns']) {
  if (!config || !dropdowns) return config;
  const copy = JSON.parse(JSON.stringify(config)) as typeof config;
  const fill = (inputs: unknown) => {
    if (!Array.isArray(inputs)) return;
    for (const input of inputs as { key?: string; id?: string; customDropdownOptions?: unknown }[]) {
      const source = dropdowns[input.key ?? input.id ?? ''];
      if (source) input.customDropdownOptions = source;
    }
  };
  fill((copy.sharedMeta as { inputs?: unknown }).inputs);
  for (const workflow of Object.values(copy.workflowMeta)) fill((workflow as { inputs?: unknown }).inputs);
  return copy;
}

/**
 * Raises `onIntegrationInstall` for each account that is new in `after`: the portal connects typed credentials with
 * `sendConnectRequest('/sdk/credentials')`. (Its other changes go through SDK functions, which raise their own events.)
 */
function announceInstalls(sdk: Switchboard, before: SwitchboardUser, after: SwitchboardUser): void {
  const accounts = (user: SwitchboardUser, type: string): ConnectedAccount[] => (user.authenticated && user.integrations[type]?.allCredentials) || [];
  for (const { id: integrationId, type: integrationType } of sdk.getIntegrations()) {
    for (const credential of accounts(after, integrationType)) {
      if (credential.status === 'VALID' && !accounts(before, integrationType).some((old) => old.id === credential.id)) {
        sdk.events.emit('onIntegrationInstall', { integrationId, integrationType, credentialId: credential.id, credential }, after);
      }
    }
  }
}

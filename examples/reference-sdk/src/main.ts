/**
 * The compatibility harness: the reference product's browser SDK exactly as a customer installs it from npm, exposed
 * as `window.paragon` for the suite to drive. The page adds only what a test cannot do from outside: a log of the
 * SDK's events, and a button that starts an install from a real click (the popup blocker stays on).
 */
import { paragon, SDK_EVENT, type IntegrationInstallEvent, type InstallIntegrationOptions } from '@useparagon/connect';

/** One SDK event as the page received it. */
export interface HarnessEvent {
  name: 'onIntegrationInstall' | 'onIntegrationUninstall';
  integrationType: string;
  integrationId: string;
}

/** The last install the button started: pending until the SDK's promise settles. */
export type InstallOutcome =
  | { state: 'pending' }
  | { state: 'resolved'; event: IntegrationInstallEvent | null }
  | { state: 'rejected'; name: string; message: string };

/** How an SDK call ended: `threw` is a synchronous throw (no promise at all), `hung` not settled by the deadline. */
export type Settled = { state: 'resolved' } | { state: 'rejected' | 'threw'; name: string; message: string; code?: string } | { state: 'hung' };

export interface Harness {
  /** What the install button installs next, and with which options. */
  prepareInstall(integrationType: string, options?: InstallIntegrationOptions): void;
  lastInstall: InstallOutcome | undefined;
  /** Runs an SDK call and says how it ended, waiting at most `deadlineMs` for its promise. */
  settle(call: () => unknown, deadlineMs?: number): Promise<Settled>;
  /** Redraws the status line and the connected integrations (after the suite changed the SDK's state). */
  render(): void;
}

declare global {
  interface Window {
    paragon: typeof paragon;
    events: HarnessEvent[];
    harness: Harness;
  }
}

const status = document.querySelector<HTMLElement>('#status')!;
const integrations = document.querySelector<HTMLUListElement>('#integrations')!;
const eventList = document.querySelector<HTMLOListElement>('#events')!;
const installButton = document.querySelector<HTMLButtonElement>('#install')!;

let nextInstall: { integrationType: string; options: InstallIntegrationOptions } = { integrationType: 'sandbox', options: {} };

function render(): void {
  const user = paragon.getUser();
  status.textContent = user.authenticated
    ? `@useparagon/connect ${paragon.getVersion()} · signed in as ${user.userId}`
    : `@useparagon/connect ${paragon.getVersion()} · signed out`;
  status.dataset.authenticated = String(user.authenticated);
  installButton.textContent = `Install ${nextInstall.integrationType}`;
  const items = user.authenticated
    ? Object.entries(user.integrations).flatMap(([type, state]) => {
        const accounts = state?.allCredentials?.length ?? 0;
        if (!state?.enabled && accounts === 0) return [];
        const item = document.createElement('li');
        item.dataset.integration = type;
        item.textContent = `${type}: ${accounts} account${accounts === 1 ? '' : 's'}`;
        return [item];
      })
    : [];
  integrations.replaceChildren(...(items.length > 0 ? items : [placeholder('None')]));
}

function placeholder(text: string): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'note';
  item.textContent = text;
  return item;
}

/** An Error, or the plain `{ message, code }` object the SDK rejects with when its portal reports an error. */
const failure = (error: unknown): { name: string; message: string; code?: string } => {
  if (error instanceof Error) return { name: error.name, message: error.message };
  if (error && typeof error === 'object' && 'message' in error) {
    const { name, message, code } = error as { name?: unknown; message: unknown; code?: unknown };
    return { name: typeof name === 'string' ? name : 'Error', message: String(message), ...(typeof code === 'string' && { code }) };
  }
  return { name: 'Error', message: String(error) };
};

async function settle(call: () => unknown, deadlineMs = 5_000): Promise<Settled> {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    return { state: 'threw', ...failure(error) };
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'hung' }), deadlineMs);
  });
  const settled = Promise.resolve(result).then(
    (): Settled => ({ state: 'resolved' }),
    (error: unknown): Settled => ({ state: 'rejected', ...failure(error) }),
  );
  const outcome = await Promise.race([settled, hung]);
  clearTimeout(timer);
  return outcome;
}

function record(name: HarnessEvent['name'], event: IntegrationInstallEvent): void {
  window.events.push({ name, integrationType: event.integrationType, integrationId: event.integrationId });
  const item = document.createElement('li');
  item.textContent = `${name} · ${event.integrationType}`;
  eventList.querySelector('.note')?.remove();
  eventList.append(item);
  render();
}

window.paragon = paragon;
window.events = [];
paragon.subscribe(SDK_EVENT.ON_INTEGRATION_INSTALL, (event: IntegrationInstallEvent) => record('onIntegrationInstall', event));
paragon.subscribe(SDK_EVENT.ON_INTEGRATION_UNINSTALL, (event: IntegrationInstallEvent) => record('onIntegrationUninstall', event));

window.harness = {
  prepareInstall(integrationType, options = {}) {
    nextInstall = { integrationType, options };
    render();
  },
  lastInstall: undefined,
  settle,
  render,
};

installButton.addEventListener('click', () => {
  const harness = window.harness;
  harness.lastInstall = { state: 'pending' };
  // installIntegration opens its popup synchronously, inside this click's user activation.
  new Promise<IntegrationInstallEvent | void>((resolve) => resolve(paragon.installIntegration(nextInstall.integrationType, nextInstall.options))).then(
    (event) => {
      harness.lastInstall = { state: 'resolved', event: event ?? null };
      render();
    },
    (error: unknown) => {
      harness.lastInstall = { state: 'rejected', ...failure(error) };
      render();
    },
  );
});

eventList.append(placeholder('None yet'));
render();

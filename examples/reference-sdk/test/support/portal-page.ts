import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FrameLocator, Page } from 'playwright-core';
import type { ReferencePage } from './reference-page.js';

/** How the last `connect()` the suite started settled (kept on the page's window). */
export type ConnectOutcome = { state: 'pending' } | { state: 'resolved'; credentialId?: string } | { state: 'rejected'; message: string; code?: string };

declare global {
  interface Window {
    connectOutcome?: ConnectOutcome;
  }
}

/** The Connect Portal iframe the reference SDK made, by what it frames (`<connect host>/ui`). */
export const portalFrame = (page: Page): FrameLocator => page.frameLocator('iframe[src*="/ui"]');

/** Whether the SDK shows its iframe (the portal asks with updateContainerStyle). */
export const portalShown = (page: Page) => page.locator('iframe[src*="/ui"]').evaluate((frame: HTMLIFrameElement) => frame.style.display !== 'none');

/** `paragon.connect(type, options)`, not awaited: the outcome lands in `window.connectOutcome`. */
export async function startConnect(reference: ReferencePage, integrationType: string, options: Record<string, unknown> = {}): Promise<FrameLocator> {
  await reference.page.evaluate(
    ([type, connectOptions]) => {
      window.connectOutcome = { state: 'pending' };
      // Typed void by the SDK's interface; the SDK's class returns the install event's promise.
      (window.paragon.connect(type, connectOptions) as unknown as Promise<{ credentialId?: string } | undefined>).then(
        (event) => {
          window.connectOutcome = { state: 'resolved', ...(event?.credentialId && { credentialId: event.credentialId }) };
        },
        (error: { message?: string; code?: string }) => {
          window.connectOutcome = { state: 'rejected', message: String(error?.message ?? error), ...(error?.code && { code: error.code }) };
        },
      );
    },
    [integrationType, options] as const,
  );
  const frame = portalFrame(reference.page);
  await frame.getByRole('dialog').waitFor();
  return frame;
}

export const connectOutcome = (page: Page) => page.evaluate(() => window.connectOutcome);

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core run inside the portal's frame: the serious and critical violations, by rule and target. */
export async function axeViolations(page: Page): Promise<string[]> {
  const frame = page.frames().find((candidate) => new URL(candidate.url()).pathname === '/ui');
  if (!frame) throw new Error('The portal frame is not loaded');
  // The portal's CSP allows only its own scripts; axe is evaluated by the browser's devtools protocol, not a tag.
  await frame.evaluate(AXE_SOURCE);
  const results = await frame.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const { violations } = await axe.run(document, { resultTypes: ['violations'] });
    return violations.map(({ id, impact, nodes }) => ({ id, impact, targets: nodes.map((node) => node.target.join(' ')) }));
  });
  return results.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical').map((violation) => `${violation.impact} ${violation.id}: ${violation.targets.join(', ')}`);
}

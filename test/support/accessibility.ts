import { createRequire } from 'node:module';
import type { Frame, Page } from 'playwright-core';

const axeSource: string = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core in the page, or a frame of it such as the Connect Portal's (evaluated through the DevTools protocol, so
 * a page's CSP does not stop it) and answers the serious and critical violations, each with the elements at fault, for
 * an assertion that they are none.
 */
export async function seriousAccessibilityViolations(page: Page | Frame): Promise<AxeViolation[]> {
  // Colours mid-transition (after a theme change, a hover) are not the page's colours: let them settle first. A
  // transition cancelled meanwhile (its element restyled or removed) rejects `finished`: it has settled too.
  await page.evaluate(() => Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => undefined))));
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => ({ id: violation.id, impact: violation.impact, help: violation.help, targets: violation.nodes.map((node) => node.target.join(' ')) }));
  });
}

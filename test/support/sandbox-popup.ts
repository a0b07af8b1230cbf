import type { Page } from 'playwright-core';

/**
 * Answers the sandbox's consent page (packages/server/src/sandbox/consent-page.ts) in an OAuth popup: fills the
 * login (each login is its own sandbox account) and approves.
 */
export async function approveInPopup(popup: Page, login: string): Promise<void> {
  await popup.getByLabel('Sandbox login').fill(login);
  await popup.getByRole('button', { name: 'Approve' }).click();
}

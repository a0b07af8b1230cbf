/**
 * Tells whoever listens that a user's account was connected, re-authorized or had its config saved. The connect and
 * credential code sits below workflows (dependency-cruiser's order), so it announces the change here and the
 * workflows domain, registered by app.ts, acts on it (Integration enabled runs, enablement times).
 */
export interface AccountChange {
  projectId: string;
  connectedUserId: string;
  credentialId: string;
}

type Listener = (change: AccountChange) => Promise<void>;

export class AccountEvents {
  private readonly listeners: Listener[] = [];

  constructor(private readonly log: { error(details: object, message: string): void }) {}

  listen(listener: Listener): void {
    this.listeners.push(listener);
  }

  /**
   * Awaited, so a run an account change starts exists when the request that changed it answers. A listener's
   * failure is logged, not thrown: the account change itself is already stored.
   */
  async changed(change: AccountChange): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(change);
      } catch (error) {
        this.log.error({ err: error, credentialId: change.credentialId }, 'acting on an account change failed');
      }
    }
  }
}

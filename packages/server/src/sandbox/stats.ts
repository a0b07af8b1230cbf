import type { KoaContextWithOIDC } from 'oidc-provider';

export const COUNTED_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type CountedGrantType = (typeof COUNTED_GRANT_TYPES)[number];

export interface TokenStatsSnapshot {
  tokenRequests: Record<CountedGrantType, number>;
  /** Every token-endpoint request answered, including unknown or missing grant types. */
  total: number;
}

/**
 * Counts token-endpoint requests the sandbox answered, success or error, so tests can assert how many
 * refreshes Switchboard really made (e.g. one refresh for N concurrent proxied calls).
 */
export class TokenStats {
  private counts = TokenStats.zero();
  private total = 0;

  private static zero(): Record<CountedGrantType, number> {
    return { authorization_code: 0, refresh_token: 0, client_credentials: 0 };
  }

  record(grantType: unknown): void {
    this.total += 1;
    if (typeof grantType === 'string' && (COUNTED_GRANT_TYPES as readonly string[]).includes(grantType)) {
      this.counts[grantType as CountedGrantType] += 1;
    }
  }

  reset(): void {
    this.counts = TokenStats.zero();
    this.total = 0;
  }

  snapshot(): TokenStatsSnapshot {
    return { tokenRequests: { ...this.counts }, total: this.total };
  }

  /**
   * Koa middleware for `provider.use()`. It runs around every oidc-provider request and counts after the
   * response is settled, which also covers errors (client authentication, invalid_grant) that oidc-provider
   * turns into responses without a `grant.success` event.
   */
  middleware() {
    return async (ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> => {
      await next();
      if (ctx.method !== 'POST' || ctx.oidc?.route !== 'token') return;
      // params exist once oidc-provider parsed the body; the raw body is the fallback for early errors.
      const params = ctx.oidc.params as Record<string, unknown> | undefined;
      const body = (ctx.oidc as unknown as { body?: Record<string, unknown> }).body;
      this.record(params?.grant_type ?? body?.grant_type);
    };
  }
}

/** Reads a user token's claims without verifying it (the server verifies); for the expiry check before each call. */
export function tokenClaims(token: string): { sub?: string; exp?: number } | undefined {
  const payload = token.split('.')[1];
  if (!payload || token.split('.').length !== 3) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? (claims as { sub?: string; exp?: number }) : undefined;
  } catch {
    return undefined;
  }
}

/** True when the token's `exp` has passed (a token without `exp` is left to the server). */
export const tokenExpired = (claims: { exp?: number }, now: number) => typeof claims.exp === 'number' && claims.exp * 1000 <= now;

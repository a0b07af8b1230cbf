/**
 * A project's allowed browser origins. An entry is an exact origin (`https://app.example.com`) or an origin
 * whose port is `*` (`http://localhost:*`), which the dev project uses for any local port.
 */
export function originAllowed(allowed: readonly string[], origin: string | undefined): boolean {
  if (!origin) return false;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.origin !== origin) return false;
  return allowed.some((entry) => {
    if (entry === origin) return true;
    if (!entry.endsWith(':*')) return false;
    return `${parsed.protocol}//${parsed.hostname}` === entry.slice(0, -2);
  });
}

/** Whether a browser origin may call: a project's allowed origins, prepared once. */
export type OriginPolicy = (origin: string | undefined) => boolean;

/** The policy of a list of allowed origins: exact entries by set lookup; `:*` entries need the origin parsed. */
export function originPolicy(allowed: readonly string[]): OriginPolicy {
  const exact = new Set(allowed.filter((entry) => !entry.endsWith(':*')));
  const anyPort = allowed.filter((entry) => entry.endsWith(':*'));
  return (origin) => {
    if (!origin) return false;
    if (exact.has(origin)) return true;
    return anyPort.length > 0 && originAllowed(anyPort, origin);
  };
}

/** Checks an entry before it is stored. Returns a reason, or undefined when it is fine. */
export function invalidOriginEntry(entry: string): string | undefined {
  const base = entry.endsWith(':*') ? entry.slice(0, -2) : entry;
  try {
    const url = new URL(base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be http or https';
    // URL accepts `*` in a host name, but no browser origin has one: such an entry would silently match nothing.
    if (url.hostname.includes('*')) return 'must name one host: wildcard hosts are not supported (list each origin)';
    const normalized = entry.endsWith(':*') ? `${url.protocol}//${url.hostname}` : url.origin;
    if (normalized !== base) return 'must be a bare origin such as https://app.example.com';
    return undefined;
  } catch {
    return 'must be an origin such as https://app.example.com';
  }
}

export const DEV_ALLOWED_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*'];

/**
 * The reference SDK's service host names. `configureGlobal({ host })` alone makes it call `https://<service>.<host>`
 * for each of them (docs/compatibility.md: API, proxy, events, portal, icons...). One Switchboard process serves them all: every
 * route lives at a distinct path, so a request is routed by its path whatever service name it came in on.
 */
export const SERVICE_SUBDOMAINS = ['zeus', 'worker-proxy', 'hermes', 'connect', 'cdn', 'dashboard', 'passport', 'actionkit'] as const;

const hostnameOf = (host: string | undefined) => {
  if (!host) return undefined;
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
};

/**
 * The public host a request's `Host` belongs to: the public URL's own host name, or one of its service subdomains
 * (`zeus.sb.example.com` for `https://sb.example.com`). Undefined for any other host.
 */
export function publicHostOf(publicUrl: string, hostHeader: string | undefined): { hostname: string; service: string | undefined } | undefined {
  const publicHostname = new URL(publicUrl).hostname.toLowerCase();
  const hostname = hostnameOf(hostHeader);
  if (!hostname) return undefined;
  if (hostname === publicHostname) return { hostname: publicHostname, service: undefined };
  const service = SERVICE_SUBDOMAINS.find((name) => hostname === `${name}.${publicHostname}`);
  return service ? { hostname: publicHostname, service } : undefined;
}

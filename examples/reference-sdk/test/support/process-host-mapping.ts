import dns, { type LookupAddress } from 'node:dns';
import tls, { type SecureContextOptions } from 'node:tls';

/**
 * What a deployment's machine knows about its own public host name, given to this test process for one made-up
 * domain: a hosts-file entry (`domain` and `*.domain` resolve to `address`) and a trust-store entry (`certPem` is
 * trusted alongside the usual roots). The Switchboard server under test runs in this process and calls its own
 * public URL (the sandbox's token endpoint and API live there), as it would behind a real load balancer with a real
 * certificate. Node 20 has no API to add a trusted root at run time (NODE_EXTRA_CA_CERTS is read at start-up), so
 * both are wrapped here; names outside the domain, and callers that bring their own `ca`, are left alone. Returns
 * the function that undoes both.
 */
export function mapHostInProcess(domain: string, address: string, certPem: string): () => void {
  const mapped = (hostname: string) => hostname === domain || hostname.endsWith(`.${domain}`);
  const answer: LookupAddress = { address, family: 4 };

  const lookup = dns.lookup;
  const promisesLookup = dns.promises.lookup;
  const createSecureContext = tls.createSecureContext;

  dns.lookup = function mappedLookup(hostname: string, ...rest: unknown[]) {
    if (!mapped(hostname)) return (lookup as (...args: unknown[]) => void)(hostname, ...rest);
    const callback = rest.at(-1) as (error: null, address: string | LookupAddress[], family?: number) => void;
    const options = rest.length > 1 ? rest[0] : undefined;
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all === true;
    process.nextTick(() => (all ? callback(null, [answer]) : callback(null, address, 4)));
  } as typeof dns.lookup;

  dns.promises.lookup = async function mappedPromisesLookup(hostname: string, options?: unknown) {
    if (!mapped(hostname)) return (promisesLookup as (...args: unknown[]) => Promise<unknown>)(hostname, options);
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all === true;
    return all ? [answer] : answer;
  } as typeof dns.promises.lookup;

  tls.createSecureContext = (options?: SecureContextOptions) =>
    createSecureContext(options?.ca ? options : { ...options, ca: [...tls.rootCertificates, certPem] });

  return () => {
    dns.lookup = lookup;
    dns.promises.lookup = promisesLookup;
    tls.createSecureContext = createSecureContext;
  };
}

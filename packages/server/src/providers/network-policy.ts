import { promises as dns } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { apiError } from '../errors.js';
import { ADDRESS_BLOCKED } from './http.js';

/**
 * The SSRF guard: requests Switchboard sends on a user's behalf (Proxy API, custom integrations' OAuth token
 * requests) must not reach its own network: loopback, private ranges, cloud metadata services. It judges the
 * addresses a host name resolves to when the socket connects, so a name that resolves (or is rebound) to
 * 127.0.0.1 is caught, not the name's text. Self-hosters whose providers live on their network opt out per
 * request with `allowPrivate`.
 */

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT; Alibaba Cloud's metadata service is 100.100.100.200
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local: AWS, GCP and Azure metadata at 169.254.169.254
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['100::', 64], // discard-only
  ['2001::', 32], // Teredo: tunnels to an IPv4 address we cannot judge
  ['2001:db8::', 32], // documentation
  ['64:ff9b:1::', 48], // local-use NAT64
  ['fc00::', 7], // unique local: AWS's IPv6 metadata service is fd00:ec2::254
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed inside some networks)
  ['ff00::', 8], // multicast
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

/** Whether an IP address is loopback, private, link-local, reserved or otherwise not on the public internet. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return blocked.check(ip, 'ipv4');
  if (family !== 6) throw new TypeError('isPrivateAddress expects an IP address');
  const address = ip.replace(/%.*$/, ''); // a zone id (`fe80::1%eth0`) names an interface, not part of the address
  // ::ffff:0:0/96, every IPv4-mapped address, public ones too: no provider needs this disguise, and parsers disagree
  // about it. Checked by hand: a BlockList rule for it would match every plain IPv4 address as well.
  if (isIPv4Mapped(address)) return true;
  const embedded = embeddedIPv4(address);
  if (embedded !== undefined) return blocked.check(embedded, 'ipv4');
  return blocked.check(address, 'ipv6');
}

/**
 * The IPv4 address an IPv6 one carries and is routed to: IPv4-mapped `::ffff:a.b.c.d`, the deprecated
 * IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:aabb:ccdd::`.
 */
function embeddedIPv4(ipv6: string): string | undefined {
  const groups = ipv6Groups(ipv6);
  const dotted = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  if (g0 === 0x2002) return dotted(g1, g2);
  const zeroPrefix = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  const mapped = zeroPrefix && g5 === 0xffff;
  // `::` and `::1` stay IPv6 (they are in the IPv6 list); any other `::a.b.c.d` is IPv4-compatible.
  const compatible = zeroPrefix && g5 === 0 && (g6 !== 0 || g7 > 1);
  const nat64 = g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0;
  return mapped || compatible || nat64 ? dotted(g6, g7) : undefined;
}

function isIPv4Mapped(ipv6: string): boolean {
  const [g0, g1, g2, g3, g4, g5] = ipv6Groups(ipv6);
  return g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted quad turned into two groups). */
function ipv6Groups(ipv6: string): number[] {
  let text = ipv6.toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * Resolves a host name to all its addresses; `dns.promises.lookup` by default, a stub in tests. `hints` passes
 * on net.connect's getaddrinfo flags (it asks for ADDRCONFIG: no IPv6 answers on a host without IPv6).
 */
export type Resolver = (
  hostname: string,
  options: { all: true; family?: number; hints?: number },
) => Promise<{ address: string; family: number }[]>;

/** The error a blocked connection fails with; upstreamFailure turns it into a 403. */
export class UpstreamAddressBlockedError extends Error {
  readonly code = ADDRESS_BLOCKED;
  constructor(hostname: string) {
    // Names the host so the log explains the refusal; the addresses stay out of it (they map the network).
    super(`${hostname} resolves to a private or internal network address`);
    this.name = 'UpstreamAddressBlockedError';
  }
}

/**
 * A `lookup` for net.connect / undici's connector that refuses host names resolving to any private address
 * (one is enough: the socket may try them all). Honours `options.all`, which Node 20's net.connect sets when it
 * tries IPv6 and IPv4 in turn (autoSelectFamily), and `options.family`.
 */
export function guardedLookup(allowPrivate: boolean, resolve: Resolver = defaultResolver): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    resolve(hostname, { all: true, ...(family ? { family } : {}), ...(options.hints ? { hints: options.hints } : {}) }).then(
      (addresses) => {
        const first = addresses[0];
        if (!first) {
          callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND', hostname }), '');
          return;
        }
        if (!allowPrivate && addresses.some(({ address }) => isPrivateAddress(address))) {
          callback(new UpstreamAddressBlockedError(hostname), '');
          return;
        }
        if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

const defaultResolver: Resolver = (hostname, options) => dns.lookup(hostname, options);

/**
 * A URL whose host is an IP literal connects without a lookup, so guardedLookup never sees it: check it here.
 * `hostname` is a WHATWG URL's (`[::1]` brackets accepted). That parser has already turned the other IPv4
 * spellings into dotted decimal (`http://2130706433/`, `http://0x7f.1/`, `http://0177.0.0.1/` all have the
 * hostname `127.0.0.1`), so they are judged here too; a bare `2130706433` given anywhere else is not an IP
 * literal to node:net, goes through the lookup, and is judged there.
 */
export function checkLiteralHost(hostname: string, allowPrivate: boolean): void {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (allowPrivate || !isIP(host)) return;
  if (isPrivateAddress(host)) throw addressBlocked();
}

/** The client-facing refusal, shared with upstreamFailure. */
export const addressBlocked = () =>
  apiError(ADDRESS_BLOCKED, 'Switchboard does not send requests to private or internal network addresses');

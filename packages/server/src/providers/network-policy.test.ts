import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { checkLiteralHost, guardedLookup, isPrivateAddress, type Resolver } from './network-policy.js';

describe('isPrivateAddress', () => {
  it.each([
    '0.0.0.0', '0.1.2.3', '10.0.0.1', '10.255.255.255', '100.64.0.1', '100.100.100.200', '100.127.255.255', '127.0.0.1',
    '127.255.255.254', '169.254.169.254', '169.254.0.1', '172.16.0.1', '172.31.255.255', '192.0.0.8', '192.0.2.1',
    '192.168.1.1', '198.18.0.1', '198.19.255.255', '198.51.100.7', '203.0.113.9', '224.0.0.1', '239.255.255.250',
    '240.0.0.1', '255.255.255.255',
    '::', '::1', 'fc00::1', 'fd00:ec2::254', 'fdff:ffff::1', 'fe80::1', 'fe80::1%eth0', 'febf::1', 'ff02::1', 'ff05::1:3',
    '2001:db8::1', '2001:0db8:85a3::8a2e:370:7334', '100::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '64:ff9b:1::a00:1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::FFFF:169.254.169.254', '::ffff:10.0.0.1', '::127.0.0.1', '::a9fe:a9fe', '::2',
    '64:ff9b::127.0.0.1', '64:ff9b::a9fe:a9fe', '64:ff9b::192.168.0.1', '2002:7f00:1::', '2002:a9fe:a9fe::1',
    // Every IPv4-mapped address, public ones too, and site-local fec0::/10.
    '::ffff:8.8.8.8', '::ffff:5db8:d70e', '::ffff:0:0', '::ffff:ffff:ffff', '0:0:0:0:0:ffff:0101:0101', 'fec0::1', 'fec0:1234::5', 'feff:ffff::1',
  ])('%s is private', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each([
    '1.1.1.1', '8.8.8.8', '93.184.215.14', '9.255.255.255', '11.0.0.1', '100.63.255.255', '100.128.0.1', '126.255.255.255',
    '128.0.0.1', '169.253.255.255', '169.255.0.1', '172.15.255.255', '172.32.0.1', '192.0.1.1', '192.0.3.1', '192.167.255.255',
    '192.169.0.1', '198.17.255.255', '198.20.0.1', '198.51.99.1', '203.0.112.1', '223.255.255.255',
    '2606:4700:4700::1111', '2001:4860:4860::8888', '2a00:1450:4001:80b::200e', 'fbff::1', '2001:db9::1',
    '::fffe:808:808', '::1:ffff:808:808', '64:ff9b::8.8.8.8', '2002:808:808::1', '::8.8.8.8',
  ])('%s is public', (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });

  it.each(['localhost', 'example.com', '', '127.1', '2130706433', '[::1]', '1.2.3.4.5', 'fe80::zz'])('refuses %j, which is not an IP', (text) => {
    expect(() => isPrivateAddress(text)).toThrow(TypeError);
  });
});

type Answer = { error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family: number | undefined };

function lookupOnce(lookup: LookupFunction, hostname: string, options: Parameters<LookupFunction>[1]): Promise<Answer> {
  return new Promise((resolve) => lookup(hostname, options, (error, address, family) => resolve({ error, address, family })));
}

describe('guardedLookup', () => {
  const answers: Record<string, { address: string; family: number }[]> = {
    'loopback.example.test': [{ address: '127.0.0.1', family: 4 }],
    'public.example.test': [{ address: '93.184.215.14', family: 4 }, { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 }],
    'mixed.example.test': [{ address: '93.184.215.14', family: 4 }, { address: '10.0.0.5', family: 4 }],
    'metadata.example.test': [{ address: 'fd00:ec2::254', family: 6 }],
    'empty.example.test': [],
  };
  const calls: { hostname: string; options: object }[] = [];
  const resolver: Resolver = async (hostname, options) => {
    calls.push({ hostname, options });
    const found = answers[hostname];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return options.family ? found.filter((one) => one.family === options.family) : found;
  };

  it.each(['loopback.example.test', 'mixed.example.test', 'metadata.example.test'])('blocks %s, naming the host but not its addresses', async (hostname) => {
    for (const all of [true, false]) {
      const { error } = await lookupOnce(guardedLookup(false, resolver), hostname, { all });
      expect(error).toMatchObject({ code: 'UPSTREAM_ADDRESS_BLOCKED' });
      expect(error?.message).toContain(hostname);
      for (const { address } of answers[hostname] ?? []) expect(error?.message).not.toContain(address);
    }
  });

  it('passes a public host through, every address with all: true', async () => {
    const answer = await lookupOnce(guardedLookup(false, resolver), 'public.example.test', { all: true });
    expect(answer).toEqual({ error: null, address: answers['public.example.test'], family: undefined });
  });

  it('passes a public host through, the first address and its family with all: false', async () => {
    const answer = await lookupOnce(guardedLookup(false, resolver), 'public.example.test', {});
    expect(answer).toEqual({ error: null, address: '93.184.215.14', family: 4 });
  });

  it('honours options.family, numeric or named', async () => {
    expect(await lookupOnce(guardedLookup(false, resolver), 'public.example.test', { family: 6 })).toEqual({
      error: null,
      address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c',
      family: 6,
    });
    calls.length = 0;
    await lookupOnce(guardedLookup(false, resolver), 'public.example.test', { family: 'IPv4', all: true, hints: 32 });
    expect(calls).toEqual([{ hostname: 'public.example.test', options: { all: true, family: 4, hints: 32 } }]);
  });

  it('judges only the addresses of the family asked for', async () => {
    // mixed has no private IPv6 address; asking for IPv6 gets nothing, which is a lookup failure, not a pass.
    const { error } = await lookupOnce(guardedLookup(false, resolver), 'mixed.example.test', { family: 6 });
    expect(error?.code).toBe('ENOTFOUND');
  });

  it('lets everything through when private addresses are allowed', async () => {
    expect(await lookupOnce(guardedLookup(true, resolver), 'loopback.example.test', {})).toEqual({ error: null, address: '127.0.0.1', family: 4 });
    expect(await lookupOnce(guardedLookup(true, resolver), 'mixed.example.test', { all: true })).toEqual({
      error: null,
      address: answers['mixed.example.test'],
      family: undefined,
    });
  });

  it('passes resolver failures on unchanged', async () => {
    const { error } = await lookupOnce(guardedLookup(false, resolver), 'nowhere.example.test', { all: true });
    expect(error?.code).toBe('ENOTFOUND');
    const empty = await lookupOnce(guardedLookup(false, resolver), 'empty.example.test', { all: true });
    expect(empty.error?.code).toBe('ENOTFOUND');
  });

  it('uses the system resolver by default: localhost is blocked', async () => {
    const { error } = await lookupOnce(guardedLookup(false), 'localhost', { all: true });
    expect(error?.code).toBe('UPSTREAM_ADDRESS_BLOCKED');
  });

  it('blocks a decimal IPv4 spelling that the system resolver turns into loopback', async () => {
    const { error } = await lookupOnce(guardedLookup(false), '2130706433', { all: true });
    expect(error?.code).toBe('UPSTREAM_ADDRESS_BLOCKED');
  });
});

describe('checkLiteralHost', () => {
  it.each([
    '127.0.0.1', '[::1]', '::1', '169.254.169.254', '[fd00:ec2::254]', '[::ffff:7f00:1]', '10.1.2.3', '0.0.0.0',
    ...['http://2130706433/', 'http://0x7f.1/', 'http://0177.0.0.1/', 'http://127.1/', 'http://[::ffff:127.0.0.1]/', 'http://0xa9fea9fe/'].map(
      (url) => new URL(url).hostname,
    ),
  ])('refuses %s with a 403', (hostname) => {
    try {
      checkLiteralHost(hostname, false);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ statusCode: 403, code: 'UPSTREAM_ADDRESS_BLOCKED' });
      expect((error as Error).message).not.toContain(hostname);
    }
  });

  it.each(['93.184.215.14', '[2606:4700:4700::1111]', 'api.hubapi.com', 'localhost'])('lets %s through (names are judged at lookup)', (hostname) => {
    expect(() => checkLiteralHost(hostname, false)).not.toThrow();
  });

  it('lets private literals through when allowed', () => {
    expect(() => checkLiteralHost('127.0.0.1', true)).not.toThrow();
    expect(() => checkLiteralHost('[::1]', true)).not.toThrow();
  });
});

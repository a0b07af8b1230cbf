import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { clientResponseHeaders, inferContentType, upstreamRequestHeaders } from './forward-headers.js';

describe('upstreamRequestHeaders', () => {
  const incoming = {
    host: 'switchboard.example.com',
    connection: 'keep-alive, X-Hop',
    'x-hop': 'named in Connection',
    'keep-alive': 'timeout=5',
    'proxy-connection': 'keep-alive',
    te: 'trailers',
    trailer: 'x-checksum',
    'transfer-encoding': 'chunked',
    upgrade: 'websocket',
    expect: '100-continue',
    authorization: 'Bearer switchboard-user-token',
    'proxy-authorization': 'Basic cHJveHk=',
    cookie: 'session=abc',
    origin: 'https://app.example.com',
    referer: 'https://app.example.com/settings',
    forwarded: 'for=192.0.2.60',
    'x-forwarded-for': '192.0.2.60',
    'x-forwarded-host': 'app.example.com',
    'x-real-ip': '192.0.2.60',
    'x-paragon-use-slack-token-type': 'user',
    'x-switchboard-project': 'p1',
    'content-length': '12',
    'content-type': 'application/json',
    accept: 'application/json',
    'accept-encoding': 'gzip, br',
    'user-agent': 'acme-app/1.0',
    'if-none-match': '"abc"',
    'if-modified-since': 'Sun, 06 Nov 1994 08:49:37 GMT',
    'notion-version': '2022-06-28',
    'x-custom': ['a', 'b'],
  };

  it('drops hop-by-hop, connection-named and Switchboard-bound headers, keeps the rest', () => {
    expect(upstreamRequestHeaders(incoming, {})).toEqual({
      'content-length': '12',
      'content-type': 'application/json',
      accept: 'application/json',
      'accept-encoding': 'gzip, br',
      'user-agent': 'acme-app/1.0',
      'if-none-match': '"abc"',
      'if-modified-since': 'Sun, 06 Nov 1994 08:49:37 GMT',
      'notion-version': '2022-06-28',
      'x-custom': ['a', 'b'],
    });
  });

  it.each([
    'X_Original_URL',
    'x_rewrite_url',
    'X_Forwarded_Host',
    'X-Forwarded_For',
    'x_forwarded-proto',
    'X_Real_IP',
    'X_HTTP_Method_Override',
    'X_Paragon_Credential',
    'X_Switchboard_Retry',
    'Transfer_Encoding',
    'Proxy_Authorization',
  ])('drops %s: underscores and dashes name the same header to many servers', (name) => {
    expect(upstreamRequestHeaders({ [name]: 'smuggled', accept: '*/*' }, {})).toEqual({ accept: '*/*' });
  });

  it('drops a header named in Connection with underscores for dashes', () => {
    expect(upstreamRequestHeaders({ connection: 'X_Hop', 'x-hop': 'named', accept: '*/*' }, {})).toEqual({ accept: '*/*' });
  });

  it("drops a caller header that spells a credential header's name with underscores", () => {
    expect(upstreamRequestHeaders({ x_api_key: 'caller-guess', accept: '*/*' }, { 'X-API-Key': 'real-key' })).toEqual({ accept: '*/*', 'x-api-key': 'real-key' });
  });

  it('keeps other headers with underscores as they came', () => {
    expect(upstreamRequestHeaders({ x_tenant_id: 't1' }, {})).toEqual({ x_tenant_id: 't1' });
  });

  it('sets the credential headers, replacing same-named caller headers whatever their case', () => {
    const headers = upstreamRequestHeaders(
      { 'x-api-key': 'caller-guess', 'notion-version': '2021-01-01', accept: '*/*' },
      { Authorization: 'Bearer provider-token', 'X-API-Key': 'real-key' },
    );
    expect(headers).toEqual({ 'notion-version': '2021-01-01', accept: '*/*', authorization: 'Bearer provider-token', 'x-api-key': 'real-key' });
  });

  it('never passes the caller user token on, even without a credential header', () => {
    expect(upstreamRequestHeaders({ authorization: 'Bearer user-token' }, {})).toEqual({});
  });

  it.each(['auto', 'AUTO', ' auto '])('drops Content-Type: %j', (value) => {
    expect(upstreamRequestHeaders({ 'content-type': value }, {})).toEqual({});
  });

  it.each([
    ['x-custom', 'a\r\nx-injected: 1'],
    ['x-custom', 'a\nb'],
    ['x-custom', 'a\u0000b'],
    ['x-list', ['ok', 'bad\r']],
  ])('refuses a %s header holding CR, LF or NUL', (name, value) => {
    try {
      upstreamRequestHeaders({ [name]: value }, {});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ statusCode: 400, code: 'INVALID_HEADER', details: { field: name } });
    }
  });

  it('ignores line breaks in a header it drops anyway', () => {
    expect(upstreamRequestHeaders({ cookie: 'a\nb' }, {})).toEqual({});
  });

  it('refuses a credential header with a line break without echoing its value', () => {
    try {
      upstreamRequestHeaders({}, { 'X-Api-Key': 'sk_live_secret\n' });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_HEADER', details: { field: 'x-api-key' } });
      expect((error as Error).message).not.toContain('sk_live_secret');
    }
  });
});

describe('clientResponseHeaders with underscores', () => {
  it("drops a provider's Switchboard, CORS and cookie headers spelled with underscores", () => {
    expect(
      clientResponseHeaders({ x_switchboard_error: 'USER_TOKEN_EXPIRED', access_control_allow_origin: '*', set_cookie: 'a=b', x_request_id: 'r1' }),
    ).toEqual({ x_request_id: 'r1' });
  });
});

describe('clientResponseHeaders', () => {
  it('passes the provider headers on minus hop-by-hop, cookies, CORS and origin-wide ones', () => {
    const upstream = {
      connection: 'keep-alive, x-conn-scoped',
      'x-conn-scoped': '1',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      trailer: 'x-checksum',
      upgrade: 'h2c',
      'proxy-authenticate': 'Basic',
      'set-cookie': ['a=1', 'b=2'],
      'access-control-allow-origin': '*',
      'access-control-allow-credentials': 'true',
      'alt-svc': 'h3=":443"',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'clear-site-data': '"*"',
      'content-type': 'application/json; charset=utf-8',
      'content-length': '42',
      'content-encoding': 'gzip',
      etag: '"v1"',
      'cache-control': 'no-cache',
      'retry-after': '30',
      'x-ratelimit-remaining': '99',
      link: '<https://api.github.com/user/repos?page=2>; rel="next"',
      location: 'https://api.example.com/items/1',
      vary: 'Accept-Encoding',
      'www-authenticate': 'Bearer error="invalid_token"',
      'x-request-id': 'r1',
      'x-absent': undefined,
    };
    expect(clientResponseHeaders(upstream)).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'content-length': '42',
      'content-encoding': 'gzip',
      etag: '"v1"',
      'cache-control': 'no-cache',
      'retry-after': '30',
      'x-ratelimit-remaining': '99',
      link: '<https://api.github.com/user/repos?page=2>; rel="next"',
      location: 'https://api.example.com/items/1',
      vary: 'Accept-Encoding',
      'www-authenticate': 'Bearer error="invalid_token"',
      'x-request-id': 'r1',
    });
  });

  it('reads a Connection header given as a list', () => {
    expect(clientResponseHeaders({ connection: ['close', 'X-A'], 'x-a': '1', 'x-b': '2' })).toEqual({ 'x-b': '2' });
  });

  it("drops Switchboard's own headers, whatever their case, so a provider cannot fake X-Switchboard-Error", () => {
    expect(
      clientResponseHeaders({ 'X-Switchboard-Error': 'USER_TOKEN_EXPIRED', 'x-switchboard-retry': '3', 'x-switchboardish': 'kept' }),
    ).toEqual({ 'x-switchboardish': 'kept' });
  });

  it("adds the provider's headers to those Switchboard set, keeping Switchboard's Vary: Origin beside the provider's", () => {
    const set = { vary: 'Origin', 'access-control-allow-origin': 'https://app.example' };
    expect(clientResponseHeaders({ Vary: 'Accept-Encoding', 'content-type': 'application/json' }, set)).toEqual({
      vary: 'Origin, Accept-Encoding',
      'access-control-allow-origin': 'https://app.example',
      'content-type': 'application/json',
    });
  });
});

describe('inferContentType', () => {
  it.each([
    ['{"a":1}', 'application/json'],
    ['  \n\t[1,2]', 'application/json'],
    ['{"cut": "in the mid', 'application/json'],
    ['"a string"', 'application/json'],
    ['42', 'application/json'],
    ['-1.5e3', 'application/json'],
    ['true', 'application/json'],
    ['null', 'application/json'],
    ['\uFEFF{"bom":true}', 'application/json'],
    ['a=1&b=2', 'text/plain; charset=utf-8'],
    ['hello world\r\nline two\tend', 'text/plain; charset=utf-8'],
    ['héllo ✓', 'text/plain; charset=utf-8'],
    ['nullable', 'text/plain; charset=utf-8'],
    ['', 'text/plain; charset=utf-8'],
    ['bell\u0007', 'application/octet-stream'],
    ['nul\u0000', 'application/octet-stream'],
  ])('%j is %s', (body, expected) => {
    expect(inferContentType(Buffer.from(body, 'utf8'))).toBe(expected);
  });

  it('treats invalid UTF-8 as binary', () => {
    expect(inferContentType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('application/octet-stream');
    expect(inferContentType(Buffer.from([0x61, 0xff, 0x62]))).toBe('application/octet-stream');
  });

  it('does not hold a multi-byte character cut at the end of the first bytes against the body', () => {
    const bytes = Buffer.from('text ✓', 'utf8');
    expect(inferContentType(bytes.subarray(0, bytes.length - 1))).toBe('text/plain; charset=utf-8');
  });
});

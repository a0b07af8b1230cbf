import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxServer, type SandboxServer } from '../../test/support/sandbox-consent.js';
import { credentialFingerprint } from './index.js';

let server: SandboxServer;
let api: string;

beforeAll(async () => {
  server = await startSandboxServer();
  api = `${server.issuer}/api`;
});
afterAll(async () => {
  await server.close();
});

// Response bodies are whatever JSON the route answers; the tests assert on their shape.
async function call(path: string, init: RequestInit & { key?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.key !== undefined) headers.set('x-api-key', init.key);
  const response = await fetch(`${api}${path}`, { ...init, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as any) : undefined };
}

describe('sandbox API authentication', () => {
  it('accepts any sbx_ API key, in X-Api-Key or as a bearer token, and each key is its own account', async () => {
    const one = await call('/me', { key: 'sbx_one' });
    const two = await call('/me', { headers: { authorization: 'Bearer sbx_two' } });
    const oneAgain = await call('/me', { headers: { authorization: 'Bearer sbx_one' } });
    expect(one.status).toBe(200);
    expect(one.body.id).toBe(`key_${createHash('sha256').update('sbx_one').digest('hex').slice(0, 12)}`);
    expect(two.body.id).not.toBe(one.body.id);
    expect(oneAgain.body.id).toBe(one.body.id);
    expect(JSON.stringify(one.body)).not.toContain('sbx_one');
  });

  it('refuses an API key without the sbx_ prefix with a message saying so', async () => {
    const response = await call('/me', { key: 'nope' });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: 'invalid_api_key', message: 'API keys start with sbx_' });
  });

  it('answers 401 with WWW-Authenticate when no credential is sent', async () => {
    const response = await call('/me');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(response.body.error).toBe('unauthorized');
    expect(typeof response.body.message).toBe('string');
  });

  it('refuses an unknown bearer token as invalid_token', async () => {
    const response = await call('/me', { headers: { authorization: 'Bearer not-issued-here' } });
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_token');
    expect(response.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('requires a credential on every route, echo included', async () => {
    for (const path of ['/contacts', '/echo', '/echo/x', '/status/500', '/slow?ms=1', '/nowhere']) {
      expect((await call(path)).status, path).toBe(401);
    }
  });
});

describe('sandbox contacts', () => {
  it('creates, lists, reads, updates and deletes contacts, separately per account', async () => {
    const key = `sbx_${randomBytes(6).toString('hex')}`;
    const created = await call('/contacts', {
      key,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ada Lovelace', email: 'ada@example.com' }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com' });
    const id = created.body.id as string;

    expect((await call('/contacts', { key })).body.data).toEqual([created.body]);
    expect((await call('/contacts', { key: 'sbx_someone-else' })).body.data).toEqual([]);
    expect((await call(`/contacts/${id}`, { key: 'sbx_someone-else' })).status).toBe(404);

    const patched = await call(`/contacts/${id}`, {
      key,
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ada King' }),
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id, name: 'Ada King', email: 'ada@example.com' });
    expect((await call(`/contacts/${id}`, { key })).body.name).toBe('Ada King');

    expect((await call(`/contacts/${id}`, { key, method: 'DELETE' })).status).toBe(204);
    expect((await call(`/contacts/${id}`, { key })).status).toBe(404);
    expect((await call(`/contacts/${id}`, { key, method: 'DELETE' })).status).toBe(404);
  });

  it('answers 400 for a contact without name or email, or with a bad email or body', async () => {
    const post = (body: string, contentType = 'application/json') =>
      call('/contacts', { key: 'sbx_validation', method: 'POST', headers: { 'content-type': contentType }, body });
    for (const body of ['{"name":"Only name"}', '{"email":"x@example.com"}', '{"name":"X","email":"not-an-email"}', '[]', '{bad json']) {
      const response = await post(body);
      expect(response.status, body).toBe(400);
      expect(response.body.error, body).toBe('invalid_request');
    }
    expect((await post('name=x', 'application/x-www-form-urlencoded')).status).toBe(415);
  });
});

describe('sandbox echo', () => {
  it('echoes method, path, query and headers, with credentials fingerprinted rather than echoed', async () => {
    const response = await call('/echo/deep/path?a=1&b=two&b=three', {
      method: 'DELETE',
      headers: { authorization: 'Bearer sbx_echo-key', 'x-custom': 'hello' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      method: 'DELETE',
      path: '/sandbox/api/echo/deep/path',
      query: { a: '1', b: ['two', 'three'] },
      bodyType: 'empty',
      body: null,
    });
    expect(response.body.headers['x-custom']).toBe('hello');
    expect(response.body.headers.authorization).toBe(credentialFingerprint('Bearer sbx_echo-key'));
    expect(JSON.stringify(response.body)).not.toContain('sbx_echo-key');
  });

  it('echoes a JSON body parsed', async () => {
    const payload = { hello: 'world', list: [1, 2, 3], nested: { ok: true } };
    const response = await call('/echo', {
      key: 'sbx_echo',
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(payload),
    });
    expect(response.body).toMatchObject({ method: 'POST', path: '/sandbox/api/echo', bodyType: 'json', body: payload });
  });

  it('echoes urlencoded form fields', async () => {
    const response = await call('/echo', {
      key: 'sbx_echo',
      method: 'PUT',
      body: new URLSearchParams([['name', 'Ada'], ['tag', 'a'], ['tag', 'b']]),
    });
    expect(response.body).toMatchObject({ bodyType: 'form', body: { name: 'Ada', tag: ['a', 'b'] } });
  });

  it('measures binary and multipart bodies instead of echoing them', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 7);
    const binary = await call('/echo/upload', {
      key: 'sbx_echo',
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(binary.body.bodyType).toBe('digest');
    expect(binary.body.body).toEqual({
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      contentType: 'application/octet-stream',
    });

    const form = new FormData();
    form.set('file', new Blob([Buffer.from('file contents')]), 'a.txt');
    const multipart = await call('/echo', { key: 'sbx_echo', method: 'POST', body: form });
    expect(multipart.body.bodyType).toBe('digest');
    expect(multipart.body.body.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(multipart.body.body.bytes).toBeGreaterThan('file contents'.length);
  });

  it('measures a body sent without a content type', async () => {
    const response = await fetch(`${api}/echo`, {
      method: 'POST',
      headers: { 'x-api-key': 'sbx_echo' },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as { bodyType: string; body: { bytes: number; contentType: unknown } };
    expect(echoed.bodyType).toBe('digest');
    expect(echoed.body).toMatchObject({ bytes: 3, contentType: null });
  });
});

describe('sandbox test tools', () => {
  it('answers the status it is asked for', async () => {
    const teapot = await call('/status/503?retry_after=2', { key: 'sbx_tools' });
    expect(teapot.status).toBe(503);
    expect(teapot.headers.get('retry-after')).toBe('2');
    expect(teapot.body).toMatchObject({ status: 503, error: 'status_503' });
    expect((await call('/status/204', { key: 'sbx_tools' })).status).toBe(204);
    expect((await call('/status/99', { key: 'sbx_tools' })).status).toBe(400);
  });

  it('waits before answering /slow, bounded', async () => {
    const started = Date.now();
    const response = await call('/slow?ms=150', { key: 'sbx_tools' });
    expect(response.body).toEqual({ waitedMs: 150 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('answers JSON 404 for unknown API routes', async () => {
    const response = await call('/nowhere', { key: 'sbx_tools' });
    expect(response.status).toBe(404);
    expect(response.body.error).toBe('not_found');
  });
});

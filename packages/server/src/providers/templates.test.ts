import { defineIntegration, findBuiltInIntegration, type ApiAuthorization, type IntegrationDefinition } from '@switchboard/catalog';
import { describe, expect, it } from 'vitest';
import { buildAuthorizationUrl, fetchIdentity, renderTemplate, resolveApiRequest, TemplateError, type TemplateContext } from './index.js';

const context = (inputs: Record<string, string> = {}, providerData: Record<string, unknown> = {}): TemplateContext => ({
  serverUrl: 'http://localhost:4000/',
  inputs,
  providerData,
});
const app = { clientId: 'id', clientSecret: 'secret' };

/** A custom integration, as a customer would define it at runtime. */
function customApi(authorization: ApiAuthorization, baseUrl = 'https://{{region}}.api.example.com/v1', check = true): IntegrationDefinition {
  const definition: IntegrationDefinition = {
    type: 'custom.acme',
    name: 'Acme',
    description: 'Custom',
    brandColor: '#123456',
    iconSvg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    auth: {
      kind: 'api-key',
      fields: [
        { id: 'region', label: 'Region', type: 'text', pattern: '(eu|us)' },
        { id: 'apiKey', label: 'API key', type: 'password', secret: true },
        { id: 'user', label: 'User', type: 'text' },
      ],
    },
    api: { baseUrl, authorization, headers: { 'X-Client': 'switchboard' } },
  };
  return check ? defineIntegration(definition) : definition;
}

describe('templates', () => {
  const shopify = findBuiltInIntegration('shopify')!;

  it.each(['evil.com/', 'a.b', '../x', 'my-store.evil.com', 'x?y=1', 'a@b'])('refuses the shop %s in a URL', (shop) => {
    expect(() => buildAuthorizationUrl(shopify, { app, redirectUri: 'https://r', state: 's', context: context({ shop }) })).toThrow(TemplateError);
  });

  it('accepts a shop that matches the pattern', () => {
    const url = buildAuthorizationUrl(shopify, { app, redirectUri: 'https://r', state: 's', context: context({ shop: 'my-store' }) });
    expect(new URL(url).host).toBe('my-store.myshopify.com');
  });

  it('refuses unknown placeholders and missing values', () => {
    const def = customApi({ type: 'bearer' });
    expect(() => renderTemplate(def, '{{nope}}', context(), 'text')).toThrow(/unknown placeholder \{\{nope\}\}/);
    expect(() => renderTemplate(def, '{{providerData.cloudId}}', context(), 'text')).toThrow(/no value/);
    expect(() => renderTemplate(def, '{{region}}', context(), 'url')).toThrow(/missing value/);
    expect(renderTemplate(def, '{{serverUrl}}/x/{{providerData.a.b}}', context({}, { a: { b: 7 } }), 'url')).toBe('http://localhost:4000/x/7');
  });

  it('refuses a user-typed input without a pattern in a URL, but not in a header', () => {
    const header = { type: 'header', name: 'X-User', value: '{{user}}' } as const;
    expect(() => customApi(header, 'https://{{region}}.api.example.com/{{user}}')).toThrow(/input user is used in a URL and needs a pattern/);
    // The engine refuses it too, for definitions that skipped defineIntegration.
    const def = customApi(header, 'https://{{region}}.api.example.com/{{user}}', false);
    expect(() => resolveApiRequest(def, { secrets: {}, context: context({ region: 'eu', user: 'bob' }) })).toThrow(/no pattern/);
    const ok = customApi({ type: 'header', name: 'X-User', value: '{{user}}' });
    expect(resolveApiRequest(ok, { secrets: {}, context: context({ region: 'eu', user: 'bob' }) }).headers['X-User']).toBe('bob');
  });
});

describe('resolveApiRequest', () => {
  const inputs = { region: 'eu' };

  it('bearer: the access token, or a field as the token', () => {
    const oauth = resolveApiRequest(customApi({ type: 'bearer' }), { secrets: { accessToken: 'at-1' }, context: context(inputs) });
    expect(oauth).toEqual({ baseUrl: 'https://eu.api.example.com/v1', headers: { 'X-Client': 'switchboard', Authorization: 'Bearer at-1' }, query: {} });
    const key = resolveApiRequest(customApi({ type: 'bearer', token: '{{apiKey}}' }), { secrets: { fields: { apiKey: 'k-1' } }, context: context(inputs) });
    expect(key.headers.Authorization).toBe('Bearer k-1');
    expect(() => resolveApiRequest(customApi({ type: 'bearer' }), { secrets: {}, context: context(inputs) })).toThrow(/no access token/);
  });

  it('header: a named header with a templated value', () => {
    const r = resolveApiRequest(customApi({ type: 'header', name: 'X-Api-Key', value: 'Key {{apiKey}}' }), { secrets: { fields: { apiKey: 'k-2' } }, context: context(inputs) });
    expect(r.headers['X-Api-Key']).toBe('Key k-2');
    expect(() =>
      resolveApiRequest(customApi({ type: 'header', name: 'X-Api-Key', value: '{{apiKey}}' }), { secrets: { fields: { apiKey: 'k\r\nX-Evil: 1' } }, context: context(inputs) }),
    ).toThrow(/line break/);
  });

  it('basic: base64 of username:password', () => {
    const r = resolveApiRequest(customApi({ type: 'basic', username: '{{user}}', password: '{{apiKey}}' }), {
      secrets: { fields: { apiKey: 'p@ss:word' } },
      context: context({ ...inputs, user: 'ann@example.com' }),
    });
    expect(r.headers.Authorization).toBe(`Basic ${Buffer.from('ann@example.com:p@ss:word').toString('base64')}`);
  });

  it('query: a named query parameter', () => {
    const r = resolveApiRequest(customApi({ type: 'query', name: 'api_key', value: '{{apiKey}}' }), { secrets: { fields: { apiKey: 'k-3' } }, context: context(inputs) });
    expect(r.query).toEqual({ api_key: 'k-3' });
    expect(r.headers.Authorization).toBeUndefined();
  });

  it('the region pattern keeps the base URL on the provider host', () => {
    expect(() => resolveApiRequest(customApi({ type: 'bearer' }), { secrets: { accessToken: 't' }, context: context({ region: 'evil.com/' }) })).toThrow(/not valid/);
  });

  it('a definition without identity yields no identity and makes no request', async () => {
    expect(await fetchIdentity(customApi({ type: 'bearer' }), { secrets: { accessToken: 't' }, context: context(inputs) })).toEqual({ providerData: {} });
  });
});

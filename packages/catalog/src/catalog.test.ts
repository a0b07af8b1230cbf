import { describe, expect, it } from 'vitest';
import {
  actionProblems,
  builtInIntegrations,
  defineIntegration,
  findBuiltInIntegration,
  matchesInputPattern,
  templatePlaceholders,
  type InputField,
  type IntegrationAction,
  type IntegrationDefinition,
} from './index.js';

/** User-typed inputs whose value is placed in one of the definition's URLs. */
function urlInputs(definition: IntegrationDefinition): InputField[] {
  const auth = definition.auth;
  const inputs = auth.kind === 'oauth2' ? (auth.preOAuthInputs ?? []) : auth.fields;
  const urls = [definition.api.baseUrl, definition.identity?.url ?? ''];
  if (auth.kind !== 'api-key' && auth.kind !== 'basic') urls.push(auth.tokenUrl);
  if (auth.kind === 'oauth2') urls.push(auth.authorizeUrl);
  const used = new Set(urls.flatMap(templatePlaceholders));
  return inputs.filter((input) => used.has(input.id));
}

const wholeMatch = matchesInputPattern;

describe('built-in catalog', () => {
  it('ships the sandbox integrations and at least 12 real providers', () => {
    const types = builtInIntegrations.map((d) => d.type);
    expect(types).toEqual(expect.arrayContaining(['sandbox', 'sandbox-apikey', 'sandbox-client-credentials']));
    expect(types.filter((t) => !t.startsWith('sandbox')).length).toBeGreaterThanOrEqual(12);
  });

  it('has unique types, found by findBuiltInIntegration', () => {
    const types = builtInIntegrations.map((d) => d.type);
    expect(new Set(types).size).toBe(types.length);
    for (const type of types) expect(findBuiltInIntegration(type)?.type).toBe(type);
    expect(findBuiltInIntegration('nope')).toBeUndefined();
  });

  it.each(builtInIntegrations.map((d) => [d.type, d] as const))('%s passes defineIntegration and has an SVG icon', (_t, definition) => {
    expect(() => defineIntegration({ ...definition })).not.toThrow();
    expect(definition.iconSvg).toMatch(/^<svg[\s\S]*<\/svg>$/);
    expect(definition.iconSvg).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });

  const withUrlInputs = builtInIntegrations.flatMap((d) => urlInputs(d).map((input) => [d.type, input.id, input] as const));

  it('has URL inputs to check', () => expect(withUrlInputs.length).toBeGreaterThanOrEqual(3));

  it('offers the sandbox a post-install select field to show the postOptions stage', () => {
    expect(findBuiltInIntegration('sandbox')?.postInstallInputs).toEqual([
      expect.objectContaining({
        id: 'contactList',
        type: 'select',
        required: false,
        options: [
          { value: 'all', label: 'All contacts' },
          { value: 'starred', label: 'Starred contacts' },
        ],
      }),
    ]);
  });

  const postInstallInputs = builtInIntegrations.flatMap((d) => (d.postInstallInputs ?? []).map((input) => [d.type, input.id, input] as const));

  it.each(postInstallInputs)('%s post-install input %s is not secret and its pattern compiles', (_t, _id, input) => {
    expect(input.secret ?? false).toBe(false);
    expect(input.type).not.toBe('password');
    if (input.pattern) expect(() => new RegExp(`^(?:${input.pattern})$`)).not.toThrow();
  });

  it.each(withUrlInputs)('%s input %s keeps URLs on the provider host', (_t, _id, input) => {
    expect(input.pattern).toBeTruthy();
    const pattern = input.pattern ?? '';
    for (const hostile of ['evil.com/', 'a.b', '../x', 'x/../y', 'a@evil.com', 'a#', '', 'a b']) {
      expect(wholeMatch(pattern, hostile), hostile).toBe(false);
    }
    expect(input.placeholder && wholeMatch(pattern, input.placeholder)).toBe(true);
  });
});

describe('defineIntegration', () => {
  const base: IntegrationDefinition = {
    type: 'custom-thing',
    name: 'Thing',
    description: 'A custom API',
    brandColor: '#112233',
    iconSvg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
    auth: { kind: 'api-key', fields: [{ id: 'apiKey', label: 'Key', type: 'password', secret: true }] },
    api: { baseUrl: 'https://api.example.com', authorization: { type: 'bearer', token: '{{apiKey}}' } },
  };

  it('refuses a field used in a URL without a pattern', () => {
    expect(() =>
      defineIntegration({
        ...base,
        auth: { kind: 'api-key', fields: [...(base.auth.kind === 'api-key' ? base.auth.fields : []), { id: 'host', label: 'Host', type: 'text' }] },
        api: { ...base.api, baseUrl: 'https://{{host}}.example.com' },
      }),
    ).toThrow(/input host is used in a URL and needs a pattern/);
  });

  it('refuses a field whose id has a dash used in a URL without a pattern', () => {
    expect(() =>
      defineIntegration({
        ...base,
        auth: { kind: 'api-key', fields: [...(base.auth.kind === 'api-key' ? base.auth.fields : []), { id: 'api-host', label: 'Host', type: 'text' }] },
        api: { ...base.api, baseUrl: 'https://{{api-host}}.example.com' },
      }),
    ).toThrow(/input api-host is used in a URL and needs a pattern/);
  });

  it('refuses a pattern that is no regular expression with the u flag, and accepts a Unicode property pattern', () => {
    const withPattern = (pattern: string) =>
      defineIntegration({ ...base, auth: { kind: 'api-key', fields: [{ id: 'apiKey', label: 'Key', type: 'password', secret: true, pattern }] } });
    // `\-` outside a class is valid without the u flag and a SyntaxError with it.
    expect(() => withPattern('a\\-b')).toThrow(/input apiKey has a pattern that is no regular expression/);
    expect(() => withPattern('\\p{Lu}+')).not.toThrow();
  });

  it('refuses a secret or password post-install input: its value is stored in plain settings', () => {
    expect(() =>
      defineIntegration({ ...base, postInstallInputs: [{ id: 'token', label: 'Token', type: 'text', secret: true }] }),
    ).toThrow(/post-install input token must not be secret/);
    expect(() =>
      defineIntegration({ ...base, postInstallInputs: [{ id: 'password', label: 'Password', type: 'password' }] }),
    ).toThrow(/post-install input password must not be secret/);
  });

  it('refuses post-install inputs with duplicate ids, and a select without options', () => {
    const field = { id: 'list', label: 'List', type: 'text' as const };
    expect(() => defineIntegration({ ...base, postInstallInputs: [field, field] })).toThrow(/post-install input ids must be unique/);
    expect(() => defineIntegration({ ...base, postInstallInputs: [{ id: 'list', label: 'List', type: 'select' }] })).toThrow(
      /post-install input list is a select without options/,
    );
  });

  it('checks a webhook signature spec: a header name, and a secret the integration has', () => {
    const signed = (secret: NonNullable<IntegrationDefinition['webhookSignature']>['secret'], header = 'X-Signature') =>
      defineIntegration({ ...base, webhookSignature: { header, algorithm: 'hmac-sha256', encoding: 'hex', secret } });
    expect(signed({ from: 'credentialField', field: 'apiKey' }).webhookSignature?.header).toBe('X-Signature');
    expect(() => signed({ from: 'credentialField', field: 'nope' })).toThrow(/webhookSignature.secret names nope, which is no secret field/);
    expect(() => signed({ from: 'clientSecret' })).toThrow(/clientSecret needs an OAuth integration/);
    expect(() => signed({ from: 'credentialField', field: 'apiKey' }, 'X Bad: header')).toThrow(/webhookSignature.header must be a header name/);
  });

  it('accepts plain post-install inputs on any auth kind', () => {
    const postInstallInputs = [{ id: 'folder', label: 'Folder', type: 'text' as const, pattern: '[a-z]+' }];
    expect(defineIntegration({ ...base, postInstallInputs }).postInstallInputs).toEqual(postInstallInputs);
  });

  it('refuses a bad colour, a non-SVG icon and a client-credentials scheme without clientSecret', () => {
    expect(() => defineIntegration({ ...base, brandColor: 'red' })).toThrow(/brandColor/);
    expect(() => defineIntegration({ ...base, iconSvg: 'https://cdn/x.png' })).toThrow(/iconSvg/);
    expect(() =>
      defineIntegration({
        ...base,
        auth: { kind: 'oauth2-client-credentials', tokenUrl: 'https://x/token', fields: [{ id: 'clientId', label: 'Id', type: 'text' }] },
      }),
    ).toThrow(/clientId and clientSecret/);
  });
});

describe('integration actions', () => {
  const declared = builtInIntegrations.flatMap((d) => (d.actions ?? []).map((action) => [d.type, action.name, action] as const));

  it('gives the sandbox integrations and Slack, HubSpot, Salesforce, GitHub and Google Drive a few actions each', () => {
    for (const type of ['sandbox', 'sandbox-apikey', 'sandbox-client-credentials', 'slack', 'hubspot', 'salesforce', 'github', 'googledrive']) {
      expect(findBuiltInIntegration(type)?.actions?.length ?? 0, type).toBeGreaterThanOrEqual(2);
    }
    expect(findBuiltInIntegration('slack')?.actions?.map((a) => a.name)).toEqual(['SLACK_SEND_MESSAGE', 'SLACK_LIST_CHANNELS']);
  });

  it.each(declared)('%s action %s is well formed: its templates name declared inputs, path inputs are required', (_t, _name, action) => {
    expect(actionProblems([action])).toEqual([]);
    const properties = Object.keys(action.inputSchema.properties);
    const used = [action.path, ...Object.values(action.query ?? {}), JSON.stringify(action.body ?? null)].flatMap(templatePlaceholders).map((name) => name.split('.')[0]);
    for (const name of used) expect(properties).toContain(name);
    for (const name of templatePlaceholders(action.path)) expect(action.inputSchema.required).toContain(name);
  });

  it("prefixes each integration's action names with one provider name", () => {
    for (const definition of builtInIntegrations.filter((d) => d.actions?.length)) {
      const prefixes = new Set(definition.actions!.map((action) => action.name.split('_')[0]));
      expect(prefixes.size, definition.type).toBe(1);
    }
  });

  const valid: IntegrationAction = {
    name: 'THING_MAKE',
    title: 'Make a thing',
    description: 'Makes a thing',
    method: 'POST',
    path: '/things/{{kind}}',
    inputSchema: { type: 'object', properties: { kind: { type: 'string' }, size: { type: 'integer' } }, required: ['kind'] },
    body: { size: '{{size}}' },
  };

  it('accepts a well-formed action and refuses each broken part by name', () => {
    expect(actionProblems([valid])).toEqual([]);
    const problem = (changes: Partial<IntegrationAction>) => actionProblems([{ ...valid, ...changes }]).map((p) => `${p.field}: ${p.message}`);
    expect(problem({ name: 'makeThing' })).toEqual([expect.stringMatching(/^name: .*upper snake case/)]);
    expect(problem({ path: 'things' })).toEqual(['path: action THING_MAKE: path must start with /']);
    expect(problem({ path: '/things/{{size}}' })).toEqual(['path: action THING_MAKE: {{size}} is in the path, so input size must be required']);
    expect(problem({ body: { colour: '{{colour}}' } })).toEqual(['body: action THING_MAKE: {{colour}} names no input property']);
    expect(problem({ query: { q: '{{nope.deep}}' } })).toEqual(['query.q: action THING_MAKE: {{nope.deep}} names no input property']);
    expect(problem({ method: 'GET' })).toEqual(['body: action THING_MAKE: a GET action sends no body']);
    expect(problem({ output: 'data..id' })).toEqual([expect.stringMatching(/^output: .*dotted path/)]);
    expect(problem({ inputSchema: { type: 'object', properties: {}, required: ['kind'] } })).toEqual(
      expect.arrayContaining(['inputSchema.required: action THING_MAKE: required input kind is not among the properties']),
    );
    expect(actionProblems([valid, valid]).map((p) => p.message)).toEqual(['action THING_MAKE: name THING_MAKE repeats']);
  });

  it('makes defineIntegration refuse an integration with a broken action', () => {
    const base = findBuiltInIntegration('sandbox-apikey')!;
    expect(() => defineIntegration({ ...base, actions: [{ ...valid, path: '/things/{{colour}}' }] })).toThrow(/integration sandbox-apikey: .*\{\{colour\}\} names no input property/);
  });
});

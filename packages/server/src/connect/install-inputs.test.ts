import type { InputField, IntegrationDefinition } from '@switchboard/catalog';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { checkPostInstallSettings, resolveAccountType, validateInputs } from './install-inputs.js';

const FIELDS: InputField[] = [
  { id: 'subdomain', label: 'Subdomain', type: 'text', required: true, pattern: '[a-z0-9-]+' },
  { id: 'apiKey', label: 'API key', type: 'password', required: true },
  { id: 'token', label: 'Token', type: 'text', secret: true },
  { id: 'region', label: 'Region', type: 'select', options: [{ value: 'eu', label: 'EU' }, { value: 'us', label: 'US' }] },
];

/** The ApiError a call throws, for asserting on its status and field. */
function refusal(call: () => unknown): { statusCode: number; code: string; field: unknown } {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    return { statusCode: apiError.statusCode, code: apiError.code, field: apiError.details.field };
  }
  throw new Error('expected the call to be refused');
}

describe('validateInputs', () => {
  it('compiles patterns with the u flag, as custom-integration checks and templates do', () => {
    const fields: InputField[] = [
      { id: 'owner', label: 'Owner', type: 'text', pattern: '\\p{Lu}+' },
      { id: 'tag', label: 'Tag', type: 'text', pattern: '[^x]{2}' },
    ];
    expect(validateInputs(fields, { owner: 'ÀB', tag: 'ab' }, 'payload').publicValues).toEqual({ owner: 'ÀB', tag: 'ab' });
    // An emoji is two UTF-16 units but one character: it does not match `[^x]{2}`.
    expect(refusal(() => validateInputs(fields, { tag: '\u{1F600}' }, 'payload'))).toEqual({ statusCode: 400, code: 'INVALID_FIELD', field: 'payload.tag' });
  });

  it('splits values into public and secret (password type or secret flag)', () => {
    expect(validateInputs(FIELDS, { subdomain: 'acme', apiKey: 'k-1', token: 't-1', region: 'eu' }, 'payload')).toEqual({
      publicValues: { subdomain: 'acme', region: 'eu' },
      secretValues: { apiKey: 'k-1', token: 't-1' },
    });
  });

  it('skips optional fields left out or empty', () => {
    expect(validateInputs(FIELDS, { subdomain: 'acme', apiKey: 'k', token: '' }, 'payload')).toEqual({
      publicValues: { subdomain: 'acme' },
      secretValues: { apiKey: 'k' },
    });
  });

  it('treats a missing payload as empty (so only optional fields pass)', () => {
    expect(validateInputs([{ id: 'x', label: 'X', type: 'text' }], undefined, 'installOptions.preOptions')).toEqual({ publicValues: {}, secretValues: {} });
    expect(refusal(() => validateInputs(FIELDS, null, 'payload'))).toMatchObject({ code: 'MISSING_FIELD', field: 'payload.subdomain' });
  });

  it.each([
    ['a missing required field', { apiKey: 'k' }, 'MISSING_FIELD', 'payload.subdomain'],
    ['an empty required field', { subdomain: '', apiKey: 'k' }, 'MISSING_FIELD', 'payload.subdomain'],
    ['an unknown field', { subdomain: 'a', apiKey: 'k', admin: 'true' }, 'UNKNOWN_FIELD', 'payload.admin'],
    ['a non-string value', { subdomain: 'a', apiKey: 42 }, 'INVALID_FIELD', 'payload.apiKey'],
    ['an object value', { subdomain: { $ne: '' }, apiKey: 'k' }, 'INVALID_FIELD', 'payload.subdomain'],
    ['a value breaking its pattern', { subdomain: 'evil.com/x', apiKey: 'k' }, 'INVALID_FIELD', 'payload.subdomain'],
    ['a pattern matched only in part', { subdomain: 'acme\u2028', apiKey: 'k' }, 'INVALID_FIELD', 'payload.subdomain'],
    ['a line break (header injection)', { subdomain: 'a', apiKey: 'k\r\nX-Admin: 1' }, 'INVALID_FIELD', 'payload.apiKey'],
    ['a NUL byte', { subdomain: 'a', apiKey: 'k\0' }, 'INVALID_FIELD', 'payload.apiKey'],
    ['an overlong value', { subdomain: 'a', apiKey: 'k'.repeat(4097) }, 'INVALID_FIELD', 'payload.apiKey'],
    ['a select value outside its options', { subdomain: 'a', apiKey: 'k', region: 'mars' }, 'INVALID_FIELD', 'payload.region'],
  ])('refuses %s with 400 naming the field', (_name, values, code, field) => {
    expect(refusal(() => validateInputs(FIELDS, values, 'payload'))).toEqual({ statusCode: 400, code, field });
  });

  it.each([['a string', 'acme'], ['an array', ['acme']]])('refuses a payload that is %s', (_name, values) => {
    expect(refusal(() => validateInputs(FIELDS, values, 'payload'))).toEqual({ statusCode: 400, code: 'INVALID_INPUT', field: 'payload' });
  });

  it('anchors patterns that use alternation', () => {
    const fields: InputField[] = [{ id: 'host', label: 'Host', type: 'text', pattern: 'eu|us' }];
    expect(validateInputs(fields, { host: 'eu' }, 'p').publicValues).toEqual({ host: 'eu' });
    expect(refusal(() => validateInputs(fields, { host: 'eu.evil.com' }, 'p'))).toMatchObject({ field: 'p.host' });
    expect(refusal(() => validateInputs(fields, { host: 'evil.us' }, 'p'))).toMatchObject({ field: 'p.host' });
  });
});

describe('checkPostInstallSettings', () => {
  const POST_INSTALL: InputField[] = [
    { id: 'list', label: 'List', type: 'select', required: true, options: [{ value: 'all', label: 'All' }, { value: 'starred', label: 'Starred' }] },
    { id: 'folder', label: 'Folder', type: 'text', pattern: '[a-z]+' },
  ];
  const prefix = 'config.sharedSettings';

  it("checks declared values, and leaves the app's own keys and missing or empty values alone (required is not enforced)", () => {
    expect(() => checkPostInstallSettings(POST_INSTALL, { list: 'starred', folder: 'inbox', other: { any: ['thing'] } }, prefix)).not.toThrow();
    expect(() => checkPostInstallSettings(POST_INSTALL, {}, prefix)).not.toThrow();
    expect(() => checkPostInstallSettings(POST_INSTALL, undefined, prefix)).not.toThrow();
    expect(() => checkPostInstallSettings(POST_INSTALL, { list: '' }, prefix)).not.toThrow();
  });

  it.each([
    ['a select value outside its options', { list: 'some' }, 'config.sharedSettings.list'],
    ['a value breaking its pattern', { folder: 'In Box' }, 'config.sharedSettings.folder'],
    ['a non-string value', { folder: 7 }, 'config.sharedSettings.folder'],
    ['a line break', { folder: 'a\nb' }, 'config.sharedSettings.folder'],
  ])('refuses %s with 400 INVALID_FIELD naming it', (_name, settings, field) => {
    expect(refusal(() => checkPostInstallSettings(POST_INSTALL, settings, prefix))).toEqual({ statusCode: 400, code: 'INVALID_FIELD', field });
  });
});

describe('resolveAccountType', () => {
  const withTypesDefinition = {
    type: 'salesforce',
    auth: {
      kind: 'oauth2',
      accountTypes: [
        { id: 'default', label: 'Production', vars: { loginHost: 'login.salesforce.com' } },
        { id: 'sandbox', label: 'Sandbox', vars: { loginHost: 'test.salesforce.com' } },
      ],
    },
  } as unknown as IntegrationDefinition;
  const project = (definition: IntegrationDefinition, accountTypes?: string[]) => ({ type: definition.type, definition, portal: accountTypes ? { accountTypes } : {} });
  const withTypes = project(withTypesDefinition);
  const withoutTypes = project({ type: 'github', auth: { kind: 'oauth2' } } as unknown as IntegrationDefinition);
  const apiKey = project({ type: 'stripe', auth: { kind: 'api-key', fields: [] } } as unknown as IntegrationDefinition);

  it('picks the first account type when none is asked for', () => {
    expect(resolveAccountType(withTypes, undefined)?.id).toBe('default');
    expect(resolveAccountType(withTypes, null)?.id).toBe('default');
  });

  it('picks the asked type, or the first of a list that the integration has', () => {
    expect(resolveAccountType(withTypes, 'sandbox')?.vars).toEqual({ loginHost: 'test.salesforce.com' });
    expect(resolveAccountType(withTypes, ['unknown', 'sandbox'])?.id).toBe('sandbox');
  });

  it('refuses an unknown type and non-string values on installOptions.accountType', () => {
    for (const requested of ['enterprise', ['a', 'b'], 5, [5]]) {
      expect(refusal(() => resolveAccountType(withTypes, requested))).toEqual({
        statusCode: 400,
        code: 'INVALID_ACCOUNT_TYPE',
        field: 'installOptions.accountType',
      });
    }
  });

  it("offers only the project's chosen types, first of its order by default, and refuses the others", () => {
    const onlySandbox = project(withTypesDefinition, ['sandbox', 'default']);
    expect(resolveAccountType(onlySandbox, undefined)?.id).toBe('sandbox');
    const restricted = project(withTypesDefinition, ['sandbox']);
    expect(resolveAccountType(restricted, 'sandbox')?.id).toBe('sandbox');
    expect(refusal(() => resolveAccountType(restricted, 'default'))).toEqual({ statusCode: 400, code: 'INVALID_ACCOUNT_TYPE', field: 'installOptions.accountType' });
    expect(refusal(() => resolveAccountType(restricted, ['default']))).toMatchObject({ code: 'INVALID_ACCOUNT_TYPE' });
  });

  it('answers undefined without account types, accepting only "default"', () => {
    expect(resolveAccountType(withoutTypes, undefined)).toBeUndefined();
    expect(resolveAccountType(withoutTypes, 'default')).toBeUndefined();
    expect(resolveAccountType(apiKey, undefined)).toBeUndefined();
    expect(refusal(() => resolveAccountType(withoutTypes, 'sandbox'))).toMatchObject({ code: 'INVALID_ACCOUNT_TYPE' });
  });
});

import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import {
  allows,
  credentialVisible,
  hasRestrictions,
  integrationVisible,
  parsePermissions,
  PERMISSIONS_CLAIM,
  requireAllowed,
  resolveAccess,
  visibleCredentials,
  type TokenPermissions,
} from './permissions.js';

const parse = (claim: unknown): TokenPermissions => parsePermissions({ sub: 'org-1', [PERMISSIONS_CLAIM]: claim });
const salesforce = (credentialId: string) => ({ integrationType: 'salesforce', credentialId });

function refused(claim: unknown): ApiError {
  try {
    parse(claim);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error(`claim ${JSON.stringify(claim)} was accepted`);
}

describe('parsePermissions', () => {
  it('gives a token without the claim no restrictions: it sees and may do everything', () => {
    const permissions = parsePermissions({ sub: 'org-1' });
    expect(hasRestrictions(permissions)).toBe(false);
    expect(resolveAccess(permissions, salesforce('c1'))).toEqual({ visible: true, proxy: true, events: true, workflows: true });
    expect(integrationVisible(permissions, 'salesforce')).toBe(true);
  });

  it('accepts every scope form and true, false and objects of visible, proxy, events and workflows', () => {
    const permissions = parse({
      'integration:*': true,
      'integration:custom.my-api': false,
      'credential:*': { visible: true, proxy: false },
      'credential:3f0c7a1e-0000-4000-8000-000000000001': { events: false, workflows: true },
      'configuration:*': {},
      'configuration:ext:team-42': { visible: false },
    });
    expect(hasRestrictions(permissions)).toBe(true);
    expect(permissions.size).toBe(6);
  });

  it.each([
    ['an array', [{ 'integration:*': true }]],
    ['a string', 'integration:*'],
    ['null', null],
    ['a number', 1],
  ])('refuses a claim that is %s, with 401 USER_TOKEN_INVALID_PERMISSIONS naming the claim', (_what, claim) => {
    const error = refused(claim);
    expect(error.statusCode).toBe(401);
    expect(error.code).toBe('USER_TOKEN_INVALID_PERMISSIONS');
    expect(error.details).toEqual({ field: PERMISSIONS_CLAIM });
    expect(error.message).toContain(PERMISSIONS_CLAIM);
  });

  it.each(['integrations:*', 'credential', 'credential:', 'configuration:abc', 'configuration:ext:', 'integration:sales*', 'credential:a b', 'workflow:*', '__proto__'])(
    'refuses the unknown scope %j and names it',
    (scope) => {
      const error = refused({ [scope]: true });
      expect(error.code).toBe('USER_TOKEN_INVALID_PERMISSIONS');
      expect(error.message).toContain(JSON.stringify(scope));
    },
  );

  it('refuses an unknown permission key, naming scope and key, rather than ignoring a rule meant to restrict', () => {
    const error = refused({ 'credential:abc': { read: false } });
    expect(error.message).toContain('"credential:abc"');
    expect(error.message).toContain('"read"');
  });

  it.each([
    ['a string permission', { 'integration:*': 'yes' }],
    ['a null permission', { 'integration:*': null }],
    ['an array permission', { 'integration:*': [true] }],
    ['a non-boolean key', { 'credential:*': { proxy: 'false' } }],
    ['a numeric key', { 'credential:*': { visible: 0 } }],
  ])('refuses %s', (_what, claim) => {
    expect(refused(claim).code).toBe('USER_TOKEN_INVALID_PERMISSIONS');
  });

  it('quotes at most 100 characters of a bad scope', () => {
    const error = refused({ [`bogus:${'x'.repeat(5000)}`]: true });
    expect(error.message.length).toBeLessThan(400);
  });
});

describe('resolveAccess: the most specific scope wins, key by key', () => {
  it('an org-level token ({ integration:* : true }) sees every credential of every integration', () => {
    const org = parse({ 'integration:*': true });
    expect(credentialVisible(org, salesforce('a'))).toBe(true);
    expect(allows(org, { integrationType: 'slack', credentialId: 'b' }, 'proxy')).toBe(true);
  });

  it('a member-level token sees only the credentials it names; the integration stays offered', () => {
    const member = parse({ 'credential:*': false, 'credential:mine': true });
    expect(credentialVisible(member, salesforce('mine'))).toBe(true);
    expect(credentialVisible(member, salesforce('theirs'))).toBe(false);
    expect(integrationVisible(member, 'salesforce')).toBe(true);
    expect(visibleCredentials(member, 'salesforce', [{ id: 'theirs' }, { id: 'mine' }, { id: 'other' }])).toEqual([{ id: 'mine' }]);
  });

  it('integration:<type> overrides integration:*, in both directions', () => {
    const onlySlack = parse({ 'integration:*': false, 'integration:slack': true });
    expect(integrationVisible(onlySlack, 'slack')).toBe(true);
    expect(integrationVisible(onlySlack, 'salesforce')).toBe(false);
    expect(credentialVisible(onlySlack, salesforce('a'))).toBe(false);
    const allButSlack = parse({ 'integration:*': true, 'integration:slack': false });
    expect(integrationVisible(allButSlack, 'slack')).toBe(false);
    expect(integrationVisible(allButSlack, 'salesforce')).toBe(true);
  });

  it('credential:<id> overrides the integration scopes and credential:*', () => {
    const permissions = parse({ 'integration:salesforce': false, 'credential:*': false, 'credential:kept': true });
    // The integration is not offered (no listing, no install), yet the one account named stays visible and usable.
    expect(integrationVisible(permissions, 'salesforce')).toBe(false);
    expect(credentialVisible(permissions, salesforce('kept'))).toBe(true);
    expect(allows(permissions, salesforce('kept'), 'proxy')).toBe(true);
    expect(credentialVisible(permissions, salesforce('other'))).toBe(false);
  });

  it('credential scopes never hide the integration itself', () => {
    const permissions = parse({ 'credential:*': false });
    expect(integrationVisible(permissions, 'salesforce')).toBe(true);
    expect(credentialVisible(permissions, salesforce('a'))).toBe(false);
  });

  it('configuration:* comes after credential:<id>: every credential is resolved through its implicit configuration', () => {
    const permissions = parse({ 'credential:a': true, 'configuration:*': { proxy: false } });
    expect(resolveAccess(permissions, salesforce('a'))).toEqual({ visible: true, proxy: false, events: true, workflows: true });
    expect(credentialVisible(parse({ 'credential:a': true, 'configuration:*': false }), salesforce('a'))).toBe(false);
  });

  it('configuration:ext:<id> is the most specific scope, and applies only to a configuration with that external id', () => {
    const permissions = parse({ 'configuration:*': false, 'configuration:ext:team-42': true });
    expect(credentialVisible(permissions, salesforce('a'))).toBe(false);
    expect(resolveAccess(permissions, { ...salesforce('a'), configurationExternalId: 'team-42' }).visible).toBe(true);
    expect(resolveAccess(permissions, { ...salesforce('a'), configurationExternalId: 'team-7' }).visible).toBe(false);
  });

  it('a call kind a scope leaves unset inherits from the less specific scopes, else is allowed', () => {
    const permissions = parse({ 'integration:*': { proxy: false }, 'integration:salesforce': { events: false }, 'credential:a': { visible: true } });
    expect(resolveAccess(permissions, salesforce('a'))).toEqual({ visible: true, proxy: false, events: false, workflows: true });
    expect(resolveAccess(permissions, { integrationType: 'slack', credentialId: 'b' })).toEqual({ visible: true, proxy: false, events: true, workflows: true });
  });

  it('true at a more specific scope grants every call kind again', () => {
    const permissions = parse({ 'integration:*': { proxy: false, events: false, workflows: false }, 'credential:a': true });
    expect(resolveAccess(permissions, salesforce('a'))).toEqual({ visible: true, proxy: true, events: true, workflows: true });
    expect(allows(permissions, salesforce('b'), 'proxy')).toBe(false);
  });

  it('false hides but keeps the inherited call kinds, so a more specific { visible: true } restores them as they were', () => {
    const permissions = parse({ 'integration:*': { workflows: false }, 'credential:*': false, 'credential:a': { visible: true } });
    expect(resolveAccess(permissions, salesforce('b'))).toEqual({ visible: false, proxy: false, events: false, workflows: false });
    expect(resolveAccess(permissions, salesforce('a'))).toEqual({ visible: true, proxy: true, events: true, workflows: false });
  });

  it('a more specific visible: false hides even when a less specific scope says true', () => {
    const permissions = parse({ 'integration:*': true, 'credential:secret': { visible: false, proxy: true } });
    expect(resolveAccess(permissions, salesforce('secret'))).toEqual({ visible: false, proxy: false, events: false, workflows: false });
  });

  it('a credential of an integration gone from the catalog is resolved without the integration:<type> scope', () => {
    const permissions = parse({ 'integration:*': false, 'integration:salesforce': true });
    expect(credentialVisible(permissions, { integrationType: undefined, credentialId: 'a' })).toBe(false);
    expect(credentialVisible(parse({ 'credential:a': true }), { integrationType: undefined, credentialId: 'a' })).toBe(true);
  });

  it('scope names are exact: credential:ab does not match credential a or abc', () => {
    const permissions = parse({ 'credential:*': false, 'credential:ab': true });
    expect(credentialVisible(permissions, salesforce('ab'))).toBe(true);
    expect(credentialVisible(permissions, salesforce('a'))).toBe(false);
    expect(credentialVisible(permissions, salesforce('abc'))).toBe(false);
  });
});

describe('requireAllowed', () => {
  it('passes an allowed call and refuses a forbidden one with 403 PERMISSION_DENIED naming the call kind', () => {
    const permissions = parse({ 'credential:*': { proxy: false, events: true } });
    expect(() => requireAllowed(permissions, salesforce('a'), 'events')).not.toThrow();
    for (const [kind, words] of [['proxy', 'Proxy API'], ['workflows', 'workflow'], ['events', 'app events']] as const) {
      const restricted = parse({ 'credential:*': { [kind]: false } });
      let caught: unknown;
      try {
        requireAllowed(restricted, salesforce('a'), kind);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ApiError);
      expect(caught).toMatchObject({ statusCode: 403, code: 'PERMISSION_DENIED' });
      expect((caught as ApiError).message).toContain(words);
    }
  });
});

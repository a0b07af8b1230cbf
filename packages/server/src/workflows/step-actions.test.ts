import { builtInIntegrations, findBuiltInIntegration, type IntegrationAction } from '@switchboard/catalog';
import { describe, expect, it } from 'vitest';
import { actionInputProblem, inputSchemaProblem } from '../catalog/action-inputs.js';
import { actionOutput, actionRequest } from './step-actions.js';
import { StepFailure } from './step-requests.js';

const action = (type: string, name: string): IntegrationAction => findBuiltInIntegration(type)!.actions!.find((known) => known.name === name)!;
const answer = (body: unknown, status = 200) => ({ status, headers: { 'content-type': 'application/json' }, body });

describe("the catalog's action input schemas", () => {
  const declared = builtInIntegrations.flatMap((d) => (d.actions ?? []).map((known) => [d.type, known.name, known] as const));

  it.each(declared)('%s %s has an input schema strict Ajv compiles', (_t, _name, known) => {
    expect(inputSchemaProblem(known.inputSchema)).toBeUndefined();
  });

  it('refuses a schema with an unknown keyword or a wrong type, naming why', () => {
    expect(inputSchemaProblem({ type: 'object', properties: { a: { type: 'string', minLenght: 1 } } })).toMatch(/^is not a valid JSON Schema: .*minLenght/);
    expect(inputSchemaProblem({ type: 'object', properties: { a: { type: 'text' } } })).toMatch(/^is not a valid JSON Schema/);
    expect(inputSchemaProblem([])).toBe('must be a JSON Schema object');
  });

  it('names the input at fault: a missing one, an unknown one, a nested one, one off its list', () => {
    const send = action('slack', 'SLACK_SEND_MESSAGE');
    expect(actionInputProblem(send, { channel: 'C1', text: 'hi' })).toBeUndefined();
    expect(actionInputProblem(send, { channel: 'C1' })).toEqual({ field: 'input.text', message: 'is required' });
    expect(actionInputProblem(send, { channel: 'C1', text: 'hi', colour: 'red' })).toEqual({ field: 'input.colour', message: 'is not an input of this action' });
    expect(actionInputProblem(send, { channel: 'C1', text: 'hi', blocks: ['not a block'] })).toEqual({ field: 'input.blocks[0]', message: 'must be object' });
    expect(actionInputProblem(action('github', 'GITHUB_LIST_REPOS'), { sort: 'stars' })).toEqual({ field: 'input.sort', message: 'must be one of "created", "updated", "pushed", "full_name"' });
  });
});

describe('the request an action makes', () => {
  it('URL-encodes path inputs, so a value cannot climb out of its segment', () => {
    const request = actionRequest(action('github', 'GITHUB_CREATE_ISSUE'), { owner: 'octo', repo: '../../admin', title: 'T' });
    expect(request.path).toBe('/repos/octo/..%2F..%2Fadmin/issues');
  });

  it('keeps a lone placeholder as its value, leaves out absent inputs, and writes query values as text', () => {
    expect(actionRequest(action('github', 'GITHUB_CREATE_ISSUE'), { owner: 'o', repo: 'r', title: 'Broken', labels: ['bug', 'p1'] })).toEqual({
      method: 'POST',
      path: '/repos/o/r/issues',
      body: { title: 'Broken', labels: ['bug', 'p1'] },
    });
    expect(actionRequest(action('hubspot', 'HUBSPOT_SEARCH_CONTACTS'), { query: 'ada', limit: 5 })).toEqual({
      method: 'POST',
      path: '/crm/v3/objects/contacts/search',
      body: { query: 'ada', limit: 5 },
    });
    expect(actionRequest(action('slack', 'SLACK_LIST_CHANNELS'), { limit: 2, excludeArchived: true })).toEqual({
      method: 'GET',
      path: '/conversations.list',
      query: { exclude_archived: 'true', limit: '2' },
    });
    expect(actionRequest(action('salesforce', 'SALESFORCE_CREATE_RECORD'), { objectType: 'Contact', fields: { LastName: 'Lovelace', Age__c: 36 } }).body).toEqual({ LastName: 'Lovelace', Age__c: 36 });
    expect(actionRequest(action('sandbox', 'SANDBOX_LIST_CONTACTS'), {})).toEqual({ method: 'GET', path: '/contacts' });
  });
});

describe("what of the provider's answer an action gives on", () => {
  it('maps the paths its output names, leaving out what the answer lacks, or gives the whole body', () => {
    const list = action('slack', 'SLACK_LIST_CHANNELS');
    expect(actionOutput(list, answer({ ok: true, channels: [{ id: 'C1' }], response_metadata: { next_cursor: 'dGVhbTpDMDYx' } }))).toEqual({ channels: [{ id: 'C1' }], nextCursor: 'dGVhbTpDMDYx' });
    expect(actionOutput(list, answer({ ok: true, channels: [] }))).toEqual({ channels: [] });
    expect(actionOutput(action('sandbox', 'SANDBOX_LIST_CONTACTS'), answer({ data: [{ id: 'ct_1' }] }))).toEqual([{ id: 'ct_1' }]);
    expect(actionOutput(action('github', 'GITHUB_LIST_REPOS'), answer([{ id: 1 }]))).toEqual([{ id: 1 }]);
  });

  it("fails with ACTION_FAILED and the provider's error when its ok flag is false on a 200", () => {
    const failure = (() => {
      try {
        actionOutput(action('slack', 'SLACK_SEND_MESSAGE'), answer({ ok: false, error: 'channel_not_found' }));
      } catch (error) {
        return error;
      }
    })() as StepFailure;
    expect(failure).toBeInstanceOf(StepFailure);
    expect({ code: failure.code, message: failure.message, retryable: failure.retryable }).toEqual({ code: 'ACTION_FAILED', message: 'SLACK_SEND_MESSAGE: the API answered channel_not_found', retryable: false });
  });
});

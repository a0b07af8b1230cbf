import type { ServerResponse } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { AppContext } from '../app-context.js';
import { FastifyAnswer } from './proxy-routes.js';
import { LaneAnswer } from './warm-lane-route.js';

// V8's own test hooks, for code compiled from here on: whether an object keeps fast (hidden-class) properties.
setFlagsFromString('--allow-natives-syntax');
const hasFastProperties = new Function('object', 'return %HasFastProperties(object)') as (object: object) => boolean;

/**
 * A proxied call's answer is made once per call. As a dictionary-mode object (what V8 makes of an object literal
 * with a getter) it keeps the call's objects alive past the call (forward-call.ts, ProxyAnswer), which the
 * proxy bench measured as a fifth more CPU per call.
 */
describe('the answers of a proxied call', () => {
  const context = {} as AppContext;

  it('the warm lane answers with an object of fast properties', () => {
    const answer = new LaneAnswer(context, {} as ServerResponse, { vary: 'Origin' });
    expect(hasFastProperties(answer)).toBe(true);
  });

  it("the route answers through Fastify's reply with an object of fast properties", () => {
    const answer = new FastifyAnswer(context, {} as never, {} as never);
    expect(hasFastProperties(answer)).toBe(true);
  });

  it('an object literal with a getter is not one (what these tests guard against)', () => {
    const literal = { raw: {}, get started() { return false; } };
    expect(hasFastProperties(literal)).toBe(false);
  });
});

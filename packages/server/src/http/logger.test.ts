import { Writable } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazyRequestLogger } from './logger.js';

/** A Fastify app at `level` whose log lines are collected, with the request loggers counted as they are made. */
async function appAt(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  let made = 0;
  const app = Fastify({
    logger: { level, stream },
    childLoggerFactory: (parent: FastifyBaseLogger, bindings, options) => {
      const counting = Object.create(parent) as FastifyBaseLogger;
      counting.child = (...args: Parameters<FastifyBaseLogger['child']>) => {
        made += 1;
        return parent.child(...args);
      };
      return lazyRequestLogger(counting, bindings, options);
    },
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.get('/quiet', async (request) => {
    request.log.info('below the level');
    return { ok: true };
  });
  app.get('/loud', async (request) => {
    request.log.warn({ detail: 1 }, 'worth a line');
    request.log.error('and another');
    return { level: request.log.level };
  });
  await app.ready();
  return { app, lines, made: () => made };
}

describe('lazyRequestLogger', () => {
  it('makes no child logger for a request that writes nothing at the level', async () => {
    const { app, lines, made } = await appAt('warn');
    expect((await app.inject('/quiet')).statusCode).toBe(200);
    expect(made()).toBe(0);
    expect(lines).toEqual([]);
    await app.close();
  });

  it("writes a request's lines bound to its request id, with one child for all of them", async () => {
    const { app, lines, made } = await appAt('warn');
    const answer = await app.inject('/loud');
    expect(answer.json()).toEqual({ level: 'warn' });
    expect(made()).toBe(1);
    expect(lines.map(({ msg, reqId, detail }) => ({ msg, reqId, detail }))).toEqual([
      { msg: 'worth a line', reqId: expect.stringMatching(/^req-/), detail: 1 },
      { msg: 'and another', reqId: lines[0]!.reqId, detail: undefined },
    ]);
    await app.close();
  });

  it('writes lines below warn when the level allows them', async () => {
    const { app, lines } = await appAt('info');
    await app.inject('/quiet');
    expect(lines.map((line) => line.msg)).toEqual(['below the level']);
    expect(lines[0]!.reqId).toMatch(/^req-/);
    await app.close();
  });
});

import { expect } from 'vitest';
import { SwitchboardApiError, SwitchboardError } from '@switchboard/node';

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** The error a function throws synchronously or asynchronously; fails the test when it does not. */
export async function errorOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but none was thrown');
}

/** Asserts a SwitchboardApiError with exactly `status` and `code`, and returns it. */
export async function expectApiError(promise: Promise<unknown>, status: number, code: string): Promise<SwitchboardApiError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(SwitchboardApiError);
  const apiError = error as SwitchboardApiError;
  expect({ status: apiError.status, code: apiError.code }).toEqual({ status, code });
  return apiError;
}

/** Asserts a SwitchboardError (not an answer from the server) with `code`, and returns it. */
export async function expectLocalError(run: () => unknown, code: string): Promise<SwitchboardError> {
  const error = await errorOf(run);
  expect(error).toBeInstanceOf(SwitchboardError);
  expect(error).not.toBeInstanceOf(SwitchboardApiError);
  expect((error as SwitchboardError).code).toBe(code);
  return error as SwitchboardError;
}

/** Asserts `secret` appears nowhere a log would show of `error`: message, stack, or its JSON form. */
export function expectNotLeaked(error: unknown, secret: string): void {
  const e = error as Error;
  expect(e.message).not.toContain(secret);
  expect(String(e.stack)).not.toContain(secret);
  expect(JSON.stringify(e)).not.toContain(secret);
}

import type { Writable } from 'node:stream';
import type { Dispatcher } from 'undici';

/** What the streamed answer needs to know of the caller: whether it hung up, and a way to hear when it does. */
export interface HangUp {
  readonly aborted: boolean;
  on(event: 'abort', listener: () => void): unknown;
  removeListener(event: 'abort', listener: () => void): unknown;
}

/** Picks where the provider's answer goes, from its head; may throw to refuse the answer. */
export type AnswerSink = (head: { statusCode: number; headers: Dispatcher.StreamFactoryData['headers'] }) => Writable;

/**
 * undici's `stream()` without a signal: the provider's answer goes into the Writable `into` picks, and a caller
 * who hangs up aborts the provider's request through the controller undici hands the handler. Any signal given to
 * undici, even an object that does nothing, doubles what the process promotes per scavenge, and so how often it
 * runs a full collection, whose pauses set the proxy's p99 (docs/performance.md).
 *
 * Resolves once the answer is handed to the Writable whole; rejects with undici's error, or with what `into`
 * threw, and then the Writable (if any) is destroyed.
 */
export function dispatchStream(pool: Dispatcher, options: Dispatcher.DispatchOptions, into: AnswerSink, caller: HangUp): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let out: Writable | undefined;
    let control: Dispatcher.DispatchController | undefined;
    const hungUp = () => control?.abort(new CallerHungUp());
    caller.on('abort', hungUp);
    const settle = (error?: Error) => {
      caller.removeListener('abort', hungUp);
      if (error) {
        out?.destroy(error);
        reject(error);
        return;
      }
      out?.end();
      resolve();
    };
    pool.dispatch(options, {
      onRequestStart(controller) {
        control = controller;
        if (caller.aborted) controller.abort(new CallerHungUp());
      },
      onResponseStart(controller, statusCode, headers) {
        // 1xx heads (100 Continue, 103 Early Hints) come before the answer's own.
        if (statusCode < 200) return;
        try {
          out = into({ statusCode, headers });
        } catch (error) {
          controller.abort(error as Error);
        }
      },
      onResponseData(controller, chunk) {
        // The caller reads slower than the provider sends: hold the provider until the caller's socket drains.
        // (A chunk undici had parsed already may still come while paused: one 'drain' listener is enough.)
        if (out?.write(chunk) === false && !controller.paused) {
          controller.pause();
          out.once('drain', () => controller.resume());
        }
      },
      onResponseEnd() {
        settle();
      },
      onResponseError(_controller, error) {
        settle(error);
      },
    });
  });
}

/** The reason given to undici when the caller hung up; the caller of dispatchStream checks its own flag instead. */
class CallerHungUp extends Error {
  constructor() {
    super('The caller hung up before the answer was complete');
  }
}

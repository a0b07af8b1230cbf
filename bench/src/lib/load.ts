/** Talking to the load generator (bench/src/load-generator.ts) from the bench's own process. */
import type { LoadResult, LoadSpec } from '../load-generator.js';
import type { Child, ChildMessage } from './processes.js';

/** One run of the load generator with `spec`; resolves with its result, rejects with its error or its exit. */
export function runLoad(loader: Child, spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type === 'result') resolve(message.result as LoadResult);
      else if (message.type === 'error') reject(new Error(`load generator: ${message.message}`));
      else return;
      loader.process.off('message', onMessage);
    };
    loader.process.on('message', onMessage);
    void loader.exited.then((how) => reject(new Error(`the load generator exited (${how})`)));
    loader.process.send({ type: 'run', spec });
  });
}

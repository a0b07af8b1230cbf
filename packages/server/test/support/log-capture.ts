import { Writable } from 'node:stream';

/** A stream that keeps every log line written to it, for tests that assert on what was (not) logged. */
export function logCapture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { lines, stream };
}

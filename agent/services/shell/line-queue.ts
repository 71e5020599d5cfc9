import type { PayloadCapture } from './payloads/payload-capture';

/** Typed-ahead lines kept while one waits for its real fetches; more are dropped (a full tty buffer). */
export const MAX_QUEUED_LINES = 64;

/**
 * Runs a session's lines one after another. A line whose wget/curl really fetch waits for the
 * fetches; lines typed meanwhile queue (their echo already happened, as a tty echoes typeahead).
 * Without fetches every line runs synchronously inside `push`, exactly as before.
 */
export function createLineQueue(capture: PayloadCapture, run: (line: string) => boolean): (line: string) => void {
  const queue: string[] = [];
  let running = false;
  let stopped = false;
  const drain = async () => {
    if (running) return;
    running = true;
    try {
      while (queue.length && !stopped) {
        const line = queue.shift()!;
        if (capture.needsPrepare(line)) await capture.prepare(line);
        if (!run(line)) {
          stopped = true;
          queue.length = 0;
        }
      }
    } finally {
      running = false;
    }
  };
  return (line) => {
    if (stopped || queue.length >= MAX_QUEUED_LINES) return;
    queue.push(line);
    void drain();
  };
}

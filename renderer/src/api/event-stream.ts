/**
 * Server-sent events over fetch. EventSource cannot send an Authorization header, and the console
 * API refuses a token in the URL (it would land in logs and history), so the stream is read here.
 */

export type StreamEnd = Readonly<{ status: number | null }>;

export type EventStreamOptions = Readonly<{
  url: string;
  token: string;
  onEvent(name: string, data: string): void;
  /** The stream ended: `status` is the HTTP status of a refusal, or null after a 200 or a network error. */
  onEnd(end: StreamEnd): void;
}>;

/** Splits an SSE byte stream into (event, data) pairs; comments and `retry:` are ignored. */
export function createSseParser(onEvent: (name: string, data: string) => void): (text: string) => void {
  let buffer = '';
  return (text) => {
    buffer += text.replace(/\r\n?/g, '\n');
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) onEvent(name, data.join('\n'));
    }
  };
}

/** Opens the stream; the returned function closes it (onEnd is not called then). */
export function openEventStream(opts: EventStreamOptions): () => void {
  const ac = new AbortController();
  let closed = false;
  const finish = (status: number | null) => {
    if (!closed) opts.onEnd({ status });
    closed = true;
  };
  void (async () => {
    try {
      const res = await fetch(opts.url, {
        headers: { authorization: `Bearer ${opts.token}`, accept: 'text/event-stream' },
        credentials: 'same-origin',
        signal: ac.signal,
      });
      if (!res.ok || !res.body) return finish(res.status);
      const parse = createSseParser(opts.onEvent);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parse(decoder.decode(value, { stream: true }));
      }
      finish(null);
    } catch {
      finish(null);
    }
  })();
  return () => {
    closed = true;
    ac.abort();
  };
}

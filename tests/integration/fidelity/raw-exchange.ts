import net from 'node:net';

/** Bytes to send, or a function of the answers received so far. */
export type Step = Buffer | ((answers: readonly Buffer[]) => Buffer);

/** What one step of an exchange got back; `closed` once the server hung up. */
export type StepAnswer = Readonly<{ bytes: Buffer; closed: boolean }>;

const quietMs = 500;

/**
 * Sends `steps` on one connection, one after the other, and collects what each got back: all bytes
 * until the server closes or says nothing more for a short while (the same rule as nmap's probe
 * wait). An empty step only listens (a greeting); a function step is built from the answers so far
 * (a login answering the greeting's scramble). Steps after the close are not sent.
 */
export function exchange(host: string, port: number, steps: readonly Step[]): Promise<StepAnswer[]> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const out: StepAnswer[] = [];
    let buf = Buffer.alloc(0);
    let closed = false;
    let i = 0;
    let idle: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      done = true;
      clearTimeout(idle);
      s.destroy();
      resolve(out);
    };
    const next = () => {
      out.push({ bytes: buf, closed });
      buf = Buffer.alloc(0);
      if (closed || ++i >= steps.length) return finish();
      send();
    };
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(next, quietMs);
    };
    const send = () => {
      const step = steps[i]!;
      const bytes = typeof step === 'function' ? step(out.map((a) => a.bytes)) : step;
      if (bytes.length) s.write(bytes);
      arm();
    };
    s.on('connect', send);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]).subarray(0, 1 << 16);
      arm();
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      if (closed || done) return;
      closed = true;
      clearTimeout(idle);
      if (i < steps.length) next();
    });
  });
}

/** One exchange as text for a diff: each step's answer (latin1, JSON-escaped), `<closed>` at a hang-up. */
export function showExchange(answers: readonly StepAnswer[], mask: (b: Buffer) => Buffer = (b) => b): string {
  return answers
    .map((a) => JSON.stringify(mask(a.bytes).toString('latin1')) + (a.closed ? ' <closed>' : ''))
    .join(' | ');
}

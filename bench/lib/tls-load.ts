// TLS handshake load generator, run as its own process by bench/tls.bench.ts so that the client's
// crypto does not share the event loop of the server it measures:
//   node --import tsx bench/lib/tls-load.ts <ip> <port> <seconds> <parallel> <full|resume>
// Each of <parallel> loops opens a TLS 1.2 connection, waits for the handshake, closes, repeats.
// `resume` offers the session of the loop's previous connection (a session ID: both servers have
// tickets off). Prints one JSON line: handshakes, elapsed s, reused count, latency p50/p99 ms.
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';

const [ip = '', port = '443', seconds = '1', parallel = '8', mode = 'full'] = process.argv.slice(2);
const deadline = performance.now() + Number(seconds) * 1000;
const latencies: number[] = [];
let reused = 0;
let errors = 0;

function handshake(session: Buffer | undefined): Promise<Buffer | undefined> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let got: Buffer | undefined;
    const s = tls.connect({
      host: ip,
      port: Number(port),
      servername: 'bench',
      rejectUnauthorized: false,
      maxVersion: 'TLSv1.2',
      ...(session ? { session } : {}),
    });
    s.on('session', (d: Buffer) => (got = d));
    s.once('secureConnect', () => {
      latencies.push(performance.now() - t0);
      if (s.isSessionReused()) reused++;
      // TLS 1.2 delivers the session with the handshake; end() sends close_notify like a client would.
      s.end();
    });
    s.on('error', () => errors++);
    s.on('close', () => resolve(got ?? session));
  });
}

async function loop(): Promise<void> {
  let session: Buffer | undefined;
  while (performance.now() < deadline) {
    const next = await handshake(mode === 'resume' ? session : undefined);
    session = next;
  }
}

const t0 = performance.now();
await Promise.all(Array.from({ length: Number(parallel) }, loop));
const elapsed = (performance.now() - t0) / 1000;
const sorted = latencies.sort((a, b) => a - b);
const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
console.log(JSON.stringify({ handshakes: latencies.length, elapsed, reused, errors, p50: at(50), p99: at(99) }));

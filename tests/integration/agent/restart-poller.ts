import { connect } from 'node:net';

/** One client poll: TCP connect to the decky's ssh port and read its banner line. */
export function sshBanner(ip: string, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(22, ip);
    let text = '';
    const timer = setTimeout(() => done(new Error('no banner in time')), timeoutMs);
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
      if (text.includes('\r\n'))
        done(text.startsWith('SSH-2.0-') ? undefined : new Error(`bad banner ${JSON.stringify(text)}`));
    });
    socket.on('error', (e) => done(e));
    socket.on('close', () => done(new Error('closed before the banner')));
  });
}

/** A client that polls the decky every ~100 ms until stopped, recording every failure. */
export function startPoller(ip: string) {
  let running = true;
  let polls = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (running) {
      const t = Date.now();
      await sshBanner(ip).then(
        () => polls++,
        (e: Error) => failures.push(`${new Date().toISOString()} ${e.message}`),
      );
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - t))));
    }
  })();
  return {
    polls: () => polls,
    failures,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

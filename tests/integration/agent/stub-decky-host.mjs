/* global process, setInterval, clearInterval */
// A stand-in decky host for agent tests that are about the agent, not the services: it binds
// nothing, answers "ready" per decky (after DECNET_TEST_GATE exists, when set) and logs each start
// to DECNET_TEST_HOST_LOG, so a test can prove that no runtime call happened. Speaks protocol v3
// (agent/decky-host-protocol.ts) on its control socket, keeps its registry entry like the real host,
// and outlives the agent like it (so tests must stop it: stop({ stopDeckies: true }) or by registry).
import { appendFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const gate = process.env.DECNET_TEST_GATE;
const logFile = process.env.DECNET_TEST_HOST_LOG;
const id = process.env.DECNET_HOST_ID;
const dir = process.env.DECNET_HOSTS_DIR;
const sock = join(dir, `${id}.sock`);
const reg = join(dir, `${id}.json`);
const startedAt = new Date().toISOString();
const hosted = new Map();
let conn = null;

const send = (msg, done) => (conn && !conn.destroyed ? conn.write(JSON.stringify(msg) + '\n', done) : done?.());
const register = () =>
  writeFileSync(reg, JSON.stringify({ id, pid: process.pid, socket: sock, startedAt, deckies: [...hosted.keys()] }));
const exit = () => {
  rmSync(reg, { force: true });
  rmSync(sock, { force: true });
  process.exit(0);
};

const onMessage = (msg) => {
  if (msg.type === 'start') {
    const name = msg.decky.name;
    hosted.set(name, { start: msg, ready: null });
    register();
    if (logFile) appendFileSync(logFile, JSON.stringify({ decky: name, services: msg.decky.services }) + '\n');
    const services = Object.fromEntries(msg.decky.services.map((s) => [s, 'running']));
    const failing = msg.decky.services.includes('telnet') && process.env.DECNET_TEST_FAIL_TELNET === '1';
    const answer = () => {
      const ready = failing
        ? { type: 'ready', name, services: { ...services, telnet: 'failed' }, errors: { telnet: 'EADDRINUSE (stub)' } }
        : { type: 'ready', name, services, errors: {} };
      if (hosted.has(name)) hosted.get(name).ready = ready;
      send(ready);
    };
    if (!gate) return answer();
    const timer = setInterval(() => {
      if (!existsSync(gate)) return;
      clearInterval(timer);
      answer();
    }, 10);
  } else if (msg.type === 'stop' && msg.name !== undefined) {
    hosted.delete(msg.name);
    register();
    send({ type: 'stopped', name: msg.name });
  } else if (msg.type === 'stop') {
    for (const name of hosted.keys()) send({ type: 'stopped', name });
    send({ type: 'stopped' }, exit);
  }
};

const server = createServer((socket) => {
  conn?.destroy();
  conn = socket;
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('error', () => undefined);
  socket.on('data', (chunk) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) onMessage(JSON.parse(line));
    }
  });
  send({ type: 'hello', id, pid: process.pid, startedAt, deckies: [...hosted.values()] });
});
rmSync(sock, { force: true });
server.listen(sock, register);
process.on('SIGTERM', exit);

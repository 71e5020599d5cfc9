/* global process, setInterval, clearInterval */
// A stand-in decky host for agent tests that are about the agent, not the services: it binds
// nothing, answers "ready" per decky (after DECNET_TEST_GATE exists, when set) and logs each start
// to DECNET_TEST_HOST_LOG, so a test can prove that no runtime call happened. Speaks protocol v2
// (agent/decky-host-protocol.ts): several deckies per process, replies name their decky.
import { appendFileSync, existsSync } from 'node:fs';

const gate = process.env.DECNET_TEST_GATE;
const logFile = process.env.DECNET_TEST_HOST_LOG;
const hosted = new Set();

process.on('message', (msg) => {
  if (msg.type === 'start') {
    const name = msg.decky.name;
    hosted.add(name);
    if (logFile) appendFileSync(logFile, JSON.stringify({ decky: name, services: msg.decky.services }) + '\n');
    const services = Object.fromEntries(msg.decky.services.map((s) => [s, 'running']));
    const failing = msg.decky.services.includes('telnet') && process.env.DECNET_TEST_FAIL_TELNET === '1';
    const answer = () =>
      process.send(failing ? { type: 'ready', name, services: { ...services, telnet: 'failed' }, errors: { telnet: 'EADDRINUSE (stub)' } } : { type: 'ready', name, services, errors: {} });
    if (!gate) return answer();
    const timer = setInterval(() => {
      if (!existsSync(gate)) return;
      clearInterval(timer);
      answer();
    }, 10);
  } else if (msg.type === 'stop' && msg.name !== undefined) {
    hosted.delete(msg.name);
    process.send({ type: 'stopped', name: msg.name });
  } else if (msg.type === 'stop') {
    for (const name of hosted) process.send({ type: 'stopped', name });
    process.send({ type: 'stopped' }, () => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));

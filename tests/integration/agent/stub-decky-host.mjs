/* global process, setInterval, clearInterval */
// A stand-in decky host for agent tests that are about the agent, not the services: it binds
// nothing, answers "ready" (after DECNET_TEST_GATE exists, when set) and logs each start to
// DECNET_TEST_HOST_LOG, so a test can prove that no runtime call happened.
import { appendFileSync, existsSync } from 'node:fs';

const gate = process.env.DECNET_TEST_GATE;
const logFile = process.env.DECNET_TEST_HOST_LOG;

process.on('message', (msg) => {
  if (msg.type === 'start') {
    if (logFile) appendFileSync(logFile, JSON.stringify({ decky: msg.decky.name, services: msg.decky.services }) + '\n');
    const services = Object.fromEntries(msg.decky.services.map((s) => [s, 'running']));
    const failing = msg.decky.services.includes('telnet') && process.env.DECNET_TEST_FAIL_TELNET === '1';
    const answer = () =>
      process.send(failing ? { type: 'ready', services: { ...services, telnet: 'failed' }, errors: { telnet: 'EADDRINUSE (stub)' } } : { type: 'ready', services, errors: {} });
    if (!gate) return answer();
    const timer = setInterval(() => {
      if (!existsSync(gate)) return;
      clearInterval(timer);
      answer();
    }, 10);
  } else if (msg.type === 'stop') {
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));

import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../main/core/config';
import { isLoopbackHost, validatePublicBinding } from '../../../main/core/public-binding';
import type { Logger } from '../../../shared/node/logger';
import { silentLogger } from '../../../shared/node/logger';

function capture(): { log: Logger; critical: string[] } {
  const critical: string[] = [];
  return { log: { ...silentLogger, critical: (m: string) => void critical.push(m) }, critical };
}

describe('validatePublicBinding', () => {
  it('refuses a loopback CORS origin on a public API host, naming the variable', () => {
    const r = validatePublicBinding({
      DECNET_API_HOST: '0.0.0.0',
      DECNET_CORS_ORIGINS: 'https://console.example.org,http://localhost:5173',
    });
    expect(r.ok).toBe(false);
    expect(r.messages.join()).toMatch(/DECNET_CORS_ORIGINS contains the loopback origin http:\/\/localhost:5173/);
    expect(
      validatePublicBinding({ DECNET_API_HOST: '10.0.0.5', DECNET_CORS_ORIGINS: 'http://127.0.0.1:8000' }).ok,
    ).toBe(false);
    expect(validatePublicBinding({ DECNET_API_HOST: '10.0.0.5', DECNET_CORS_ORIGINS: 'http://[::1]:8000' }).ok).toBe(
      false,
    );
  });

  it('refuses a plain-http canary base to a non-loopback host on a public API host', () => {
    const r = validatePublicBinding({
      DECNET_API_HOST: '0.0.0.0',
      DECNET_CANARY_HTTP_BASE: 'http://canary.example.org/t',
    });
    expect(r.ok).toBe(false);
    expect(r.messages.join()).toMatch(/DECNET_CANARY_HTTP_BASE=http:\/\/canary\.example\.org\/t is plain http:\/\//);
  });

  it('refuses a wildcard CORS origin anywhere', () => {
    expect(validatePublicBinding({ DECNET_CORS_ORIGINS: '*' }).ok).toBe(false);
  });

  it('logs CRITICAL (but starts) when the limiter is disabled', () => {
    const { log, critical } = capture();
    const r = validatePublicBinding({ DECNET_API_HOST: '0.0.0.0', DECNET_LIMITER_ENABLED: 'false' }, log);
    expect(r.ok).toBe(true);
    expect(critical.join()).toMatch(/DECNET_LIMITER_ENABLED=false/);
  });

  it('accepts safe configurations', () => {
    expect(validatePublicBinding({}).ok).toBe(true);
    expect(
      validatePublicBinding({
        DECNET_API_HOST: '127.0.0.1',
        DECNET_CORS_ORIGINS: 'http://localhost:5173',
        DECNET_CANARY_HTTP_BASE: 'http://canary.example.org',
      }).ok,
    ).toBe(true);
    expect(
      validatePublicBinding({
        DECNET_API_HOST: '0.0.0.0',
        DECNET_CORS_ORIGINS: 'https://console.example.org',
        DECNET_CANARY_HTTP_BASE: 'https://canary.example.org',
      }).ok,
    ).toBe(true);
    expect(
      validatePublicBinding({ DECNET_API_HOST: '0.0.0.0', DECNET_CANARY_HTTP_BASE: 'http://127.0.0.1:9000' }).ok,
    ).toBe(true);
  });

  it('does nothing under the test runner', () => {
    const footgun = { DECNET_API_HOST: '0.0.0.0', DECNET_CORS_ORIGINS: 'http://localhost' };
    expect(validatePublicBinding({ ...footgun, VITEST: 'true' }).ok).toBe(true);
    expect(validatePublicBinding({ ...footgun, NODE_ENV: 'test' }).ok).toBe(true);
  });

  it('knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1', 'app.localhost'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '10.0.0.1', 'example.org', '::', '128.0.0.1']) expect(isLoopbackHost(h), h).toBe(false);
  });
});

describe('loadConfig', () => {
  it('applies the defaults', () => {
    const c = loadConfig({ DECNET_DATA_DIR: '/tmp/x' });
    expect(c).toMatchObject({
      dataDir: '/tmp/x',
      heartbeatIntervalMs: 30_000,
      lifecycleDeadlineMs: 900_000,
      localAgent: true,
    });
    expect(c.api).toMatchObject({ host: '127.0.0.1', port: 8000, limiterEnabled: true });
    expect(c.swarm).toMatchObject({ host: '0.0.0.0', port: 8770 });
  });

  it('names every bad variable in one error', () => {
    expect(() =>
      loadConfig({
        DECNET_HEARTBEAT_INTERVAL_S: 'soon',
        DECNET_LIMITER_ENABLED: 'maybe',
        DECNET_LOG_TARGET: 'udp://x',
      }),
    ).toThrow(
      /DECNET_HEARTBEAT_INTERVAL_S must be an integer.*DECNET_LIMITER_ENABLED must be true or false.*DECNET_LOG_TARGET must look like tls:\/\/host:port/,
    );
  });

  it('lets CLI flags override the environment', () => {
    const c = loadConfig(
      { DECNET_LOCAL_AGENT: 'true', DECNET_API_PORT: '9000' },
      { localAgent: false, apiPort: 0, dataDir: '/d' },
    );
    expect(c).toMatchObject({ localAgent: false, dataDir: '/d' });
    expect(c.api.port).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { failureLine, isTransient, withRetries, type CommandResult } from '../../../../agent/runtime/docker/docker-cli';

const fail = (stderr: string): CommandResult => ({ code: 1, stdout: '', stderr });
const ok: CommandResult = { code: 0, stdout: 'done', stderr: '' };

describe('docker cli retries', () => {
  it('retries transient engine failures with backoff, and stops at the first success', async () => {
    const results = [
      fail('Cannot connect to the Docker daemon at unix:///x.sock'),
      fail('context deadline exceeded'),
      ok,
    ];
    const waits: number[] = [];
    const r = await withRetries(() => Promise.resolve(results.shift()!), {
      sleep: (ms) => Promise.resolve(void waits.push(ms)),
    });
    expect(r).toBe(ok);
    expect(waits).toEqual([500, 1000]);
  });

  it('does not retry a failure that will not go away', async () => {
    let calls = 0;
    const bad = fail('Error response from daemon: Address already in use');
    const r = await withRetries(() => Promise.resolve((calls++, bad)), { sleep: () => Promise.resolve() });
    expect(r).toBe(bad);
    expect(calls).toBe(1);
    expect(isTransient(bad)).toBe(false);
  });

  it('gives up after the last try', async () => {
    let calls = 0;
    const r = await withRetries(() => Promise.resolve((calls++, fail('i/o timeout'))), {
      tries: 3,
      sleep: () => Promise.resolve(),
    });
    expect(r.code).toBe(1);
    expect(calls).toBe(3);
  });

  it('names the error line of a failed command, not the deprecation notice', () => {
    const r = fail(
      'DEPRECATED: The legacy builder is deprecated\nERROR: for web  Cannot start service web: driver failed\nmore',
    );
    expect(failureLine(r)).toBe('ERROR: for web  Cannot start service web: driver failed');
    expect(failureLine({ code: 3, stdout: '', stderr: '' })).toBe('exit code 3');
  });
});

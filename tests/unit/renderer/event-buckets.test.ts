import { describe, expect, it } from 'vitest';
import { niceCeil, summarize } from '../../../renderer/src/features/events/event-buckets';

describe('events page helpers', () => {
  it('splits the chart axis into four whole, round steps', () => {
    expect(niceCeil(0)).toBe(4);
    expect(niceCeil(10)).toBe(20);
    expect(niceCeil(280)).toBe(400);
    for (const max of [1, 3, 7, 10, 33, 99, 280, 1234]) {
      const top = niceCeil(max);
      expect(top).toBeGreaterThanOrEqual(max);
      expect(Number.isInteger(top / 4)).toBe(true);
    }
  });

  it('summarises by kind: logins, session commands, requests', () => {
    expect(summarize('auth', { username: 'root', password: 'toor', method: 'password' })).toBe('root : toor');
    expect(summarize('auth', { username: 'root', method: 'publickey' })).toBe('root : (publickey)');
    expect(summarize('command', { user: 'root', command: 'uname -a' })).toBe('root $ uname -a');
    expect(summarize('command', { user: 'root', request: 'env' })).toBe('user=root  request=env');
    expect(summarize('request', { method: 'GET', path: '/admin' })).toBe('GET /admin');
  });
});

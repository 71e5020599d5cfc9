import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors';
import {
  FingerprintMismatchError,
  httpsOrigin,
  sanEntries,
  serverTlsOptions,
  verifyHostnameFromEnv,
} from '../../../shared/node/tls';

describe('tls helpers', () => {
  it('FingerprintMismatchError is an AppError with host, expected and actual', () => {
    const e = new FingerprintMismatchError('w1 (10.0.0.5:8765)', 'a'.repeat(64), 'b'.repeat(64));
    expect(e).toBeInstanceOf(AppError);
    expect(e).toMatchObject({
      code: 'FINGERPRINT_MISMATCH',
      host: 'w1 (10.0.0.5:8765)',
      expected: 'a'.repeat(64),
      actual: 'b'.repeat(64),
      status: 502,
    });
    expect(e.message).toBe(
      `certificate of w1 (10.0.0.5:8765) does not match its pinned fingerprint (expected ${'a'.repeat(16)}…, got ${'b'.repeat(16)}…)`,
    );
  });

  it('DECNET_VERIFY_HOSTNAME defaults to off', () => {
    expect(verifyHostnameFromEnv({})).toBe(false);
    expect(verifyHostnameFromEnv({ DECNET_VERIFY_HOSTNAME: 'false' })).toBe(false);
    expect(verifyHostnameFromEnv({ DECNET_VERIFY_HOSTNAME: 'true' })).toBe(true);
    expect(verifyHostnameFromEnv({ DECNET_VERIFY_HOSTNAME: '1' })).toBe(true);
  });

  it('server options: our CA only, TLS 1.2 floor, client cert requested', () => {
    const o = serverTlsOptions({ caPem: 'CA', certPem: 'C', keyPem: 'K', requireClientCert: true });
    expect(o).toEqual({
      ca: ['CA'],
      cert: 'C',
      key: 'K',
      minVersion: 'TLSv1.2',
      requestCert: true,
      rejectUnauthorized: true,
    });
    expect(
      serverTlsOptions({ caPem: 'CA', certPem: 'C', keyPem: 'K', requireClientCert: false }).rejectUnauthorized,
    ).toBe(false);
  });

  it('parses subjectAltName strings and brackets IPv6 origins', () => {
    expect(sanEntries('DNS:a, IP Address:10.0.0.1, URI:urn:decnet:role:worker')).toEqual([
      ['DNS', 'a'],
      ['IP Address', '10.0.0.1'],
      ['URI', 'urn:decnet:role:worker'],
    ]);
    expect(httpsOrigin('::1', 8765)).toBe('https://[::1]:8765');
    expect(httpsOrigin('10.0.0.1', 8765)).toBe('https://10.0.0.1:8765');
  });
});

import { createHash } from 'node:crypto';

/** Frontend messages for the PostgreSQL fidelity tests, built by hand so every byte is known. */

export const u32 = (...n: number[]) =>
  Buffer.concat(n.map((v) => Buffer.from([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255])));

export function startup(params: [string, string][], version = 0x30000): Buffer {
  const body = Buffer.concat([u32(version), ...params.map(([k, v]) => Buffer.from(`${k}\0${v}\0`)), Buffer.from([0])]);
  return Buffer.concat([u32(body.length + 4), body]);
}

export const typed = (tag: string, body: string) =>
  Buffer.concat([Buffer.from(tag), u32(body.length + 5), Buffer.from(`${body}\0`)]);

const md5Request = Buffer.from('R\0\0\0\x0c\0\0\0\x05', 'latin1');

/**
 * Masks what is per connection: BackendKeyData's process id and secret key (8 bytes after
 * `K\0\0\0\x0c`) and AuthenticationMD5Password's salt (4 bytes after `R\0\0\0\x0c\0\0\0\x05`).
 */
export function maskKey(b: Buffer): Buffer {
  const out = Buffer.from(b);
  for (let i = out.indexOf('K\0\0\0\x0c', 0, 'latin1'); i >= 0; i = out.indexOf('K\0\0\0\x0c', i + 1, 'latin1'))
    out.fill(0x2a, i + 5, i + 13);
  for (let i = out.indexOf(md5Request); i >= 0; i = out.indexOf(md5Request, i + 1)) out.fill(0x2a, i + 9, i + 13);
  return out;
}

/** The PasswordMessage libpq sends for md5: 'md5' + md5(md5(password + user) + salt). */
export function md5Password(password: string, user: string, answer: Buffer): Buffer {
  const at = answer.indexOf(md5Request);
  const salt = answer.subarray(at + 9, at + 13);
  const inner = createHash('md5')
    .update(password + user)
    .digest('hex');
  return typed(
    'p',
    'md5' +
      createHash('md5')
        .update(Buffer.concat([Buffer.from(inner), salt]))
        .digest('hex'),
  );
}

import { createHash, createPublicKey, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { Parser, type ReadEntry } from 'tar';
import { AppError } from '../../shared/errors';
import { RELEASE_KEY_CONTEXT, RELEASE_MAX_BYTES, ReleaseVersion } from '../../shared/protocol/updater-api';

/** Bounds of an unpacked release (the real one: ~15 files, ~3 MB). */
export const RELEASE_MAX_ENTRIES = 4096;
export const RELEASE_MAX_UNPACKED_BYTES = 64 * 1024 * 1024;

export type ReleaseEntry = Readonly<{ path: string; type: 'file' | 'dir'; mode: number; data: Buffer }>;
export type VerifiedRelease = Readonly<{ version: string; sha256: string; entries: readonly ReleaseEntry[] }>;

export type ReleaseInput = Readonly<{
  tarball: Buffer;
  sha256: string;
  signatureBase64: string;
  releaseKeyPem: string;
  endorsementBase64: string;
  /** The CA this worker was enrolled with: the only root a release key is trusted from. */
  caPem: string;
}>;

const refuse = (why: string) => new AppError('INVALID_INPUT', `release refused: ${why}`);

/**
 * Everything an updater checks before a byte reaches the disk: size, SHA-256, the CA's endorsement
 * of the release key, the key's Ed25519 signature over the tarball, then every entry of the archive
 * (one top directory `decnet-agent-<version>/`, only files and directories, no absolute or `..`
 * path, no link of either kind) and its VERSION file. The entries come back in memory, so a refusal
 * at any step leaves the disk untouched.
 */
export async function verifyRelease(input: ReleaseInput): Promise<VerifiedRelease> {
  const { tarball } = input;
  if (tarball.length === 0) throw refuse('the tarball is empty');
  if (tarball.length > RELEASE_MAX_BYTES) throw refuse(`the tarball is larger than ${RELEASE_MAX_BYTES} bytes`);
  const sha256 = createHash('sha256').update(tarball).digest('hex');
  if (sha256 !== input.sha256.toLowerCase())
    throw refuse(`SHA-256 mismatch (expected ${input.sha256.slice(0, 16)}…, got ${sha256.slice(0, 16)}…)`);
  const key = endorsedKey(input);
  const signature = Buffer.from(input.signatureBase64, 'base64');
  if (signature.length === 0) throw refuse('the release is not signed');
  if (!verify(null, tarball, key, signature)) throw refuse('the signature does not match the tarball');
  const entries = await readEntries(tarball);
  return { version: releaseVersion(entries), sha256, entries };
}

function endorsedKey(input: ReleaseInput): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(input.releaseKeyPem);
  } catch {
    throw refuse('the release key is not a PEM public key');
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw refuse(`the release key is ${key.asymmetricKeyType ?? '?'}, not ed25519`);
  const endorsement = Buffer.from(input.endorsementBase64, 'base64');
  const data = Buffer.concat([Buffer.from(RELEASE_KEY_CONTEXT, 'utf8'), key.export({ type: 'spki', format: 'der' })]);
  const ca = new X509Certificate(input.caPem).publicKey;
  if (endorsement.length === 0 || !verify('sha256', data, { key: ca, dsaEncoding: 'ieee-p1363' }, endorsement))
    throw refuse('the release key is not endorsed by this host’s CA');
  return key;
}

/** Parses the (gzipped) tar in memory under the entry and byte bounds; the first bad entry refuses it all. */
function readEntries(tarball: Buffer): Promise<ReleaseEntry[]> {
  return new Promise((resolve, reject) => {
    const entries: ReleaseEntry[] = [];
    let top: string | null = null;
    let bytes = 0;
    let failed = false;
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        if (failed) return entry.resume();
        try {
          const { rel, head } = checkPath(entry.path);
          if (top === null) top = head;
          else if (head !== top) throw refuse(`entries under two top directories (${top}, ${head})`);
          const type = entryType(entry);
          if (entries.length >= RELEASE_MAX_ENTRIES) throw refuse(`more than ${RELEASE_MAX_ENTRIES} entries`);
          const chunks: Buffer[] = [];
          entry.on('data', (c: Buffer) => {
            bytes += c.length;
            if (bytes > RELEASE_MAX_UNPACKED_BYTES && !failed)
              fail(refuse(`it unpacks to more than ${RELEASE_MAX_UNPACKED_BYTES} bytes`));
            else if (!failed) chunks.push(c);
          });
          entry.on('end', () => {
            // Only permission bits: no setuid, setgid or sticky bit from a tarball.
            if (rel !== '')
              entries.push({ path: rel, type, mode: (entry.mode ?? 0o644) & 0o777, data: Buffer.concat(chunks) });
          });
        } catch (err) {
          fail(err as Error);
          entry.resume();
        }
      },
    });
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      reject(err instanceof AppError ? err : refuse(`not a readable tar.gz (${err.message})`));
      parser.abort(err);
    };
    parser.on('error', (err: Error) => fail(err));
    parser.on('end', () => {
      if (failed) return;
      if (entries.length === 0) return fail(refuse('the archive holds no files'));
      resolve(entries);
    });
    parser.end(tarball);
  });
}

/** `decnet-agent-<v>/a/b` → head and `a/b`; anything that could land outside the release dir is refused. */
function checkPath(raw: string): { head: string; rel: string } {
  const shown = JSON.stringify(raw.slice(0, 120));
  if (raw.includes('\0') || raw.includes('\\')) throw refuse(`entry ${shown} has a NUL or backslash`);
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) throw refuse(`entry ${shown} is an absolute path`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuse(`entry ${shown} escapes the release dir (..)`);
  const [head, ...rest] = parts;
  if (!head || !/^decnet-agent-/.test(head)) throw refuse(`entry ${shown} is not under decnet-agent-<version>/`);
  return { head, rel: rest.join('/') };
}

function entryType(entry: ReadEntry): 'file' | 'dir' {
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return 'file';
    case 'Directory':
      return 'dir';
    case 'SymbolicLink':
    case 'Link':
      // The packaged release holds no links, so none is ever needed and none can point out of it.
      throw refuse(`entry ${JSON.stringify(entry.path)} is a ${entry.type === 'Link' ? 'hard' : 'symbolic'} link`);
    default:
      throw refuse(`entry ${JSON.stringify(entry.path)} is a ${entry.type}, not a file or directory`);
  }
}

function releaseVersion(entries: readonly ReleaseEntry[]): string {
  const file = entries.find((e) => e.path === 'VERSION' && e.type === 'file');
  if (!file) throw refuse('no VERSION file');
  const parsed = ReleaseVersion.safeParse(file.data.toString('utf8').trim());
  if (!parsed.success) throw refuse(`VERSION is not a release version (${parsed.error.issues[0]?.message ?? ''})`);
  for (const need of ['lib/cli.js'])
    if (!entries.some((e) => e.path === need && e.type === 'file')) throw refuse(`no ${need}`);
  return parsed.data;
}

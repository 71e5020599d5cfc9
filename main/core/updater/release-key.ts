import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../../shared/errors';
import { writeFileAtomic } from '../../../shared/node/atomic-file';

/** File names beside the CA's own key under `<dataDir>/ca/`. */
export const RELEASE_KEY_FILE = 'release.key';

export type ReleaseKey = Readonly<{ privateKey: KeyObject; publicKeyPem: string; path: string }>;
export type ReleaseSignature = Readonly<{ sha256: string; signatureBase64: string }>;

/**
 * The Ed25519 key that signs agent releases, kept in `<caDir>/release.key` (0600) like ca.key and
 * created on first use. Only signatures and the public key ever leave this module; the console
 * never sends the key over IPC or the network.
 */
export async function ensureReleaseKey(caDir: string): Promise<ReleaseKey> {
  const path = join(caDir, RELEASE_KEY_FILE);
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new AppError('INTERNAL', `cannot read release key ${path}: ${(err as Error).message}`);
    await mkdir(caDir, { recursive: true, mode: 0o700 });
    await chmod(caDir, 0o700);
    const { privateKey } = generateKeyPairSync('ed25519');
    pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await writeFileAtomic(path, pem, 0o600);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new AppError('INTERNAL', `release key ${path} is not a PEM private key`, undefined, { cause: err });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new AppError('INTERNAL', `release key ${path} is ${privateKey.asymmetricKeyType ?? '?'}, expected ed25519`);
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey, publicKeyPem, path };
}

/** SHA-256 (hex) of the tarball and an Ed25519 signature over its bytes (base64). */
export function signRelease(tarball: Uint8Array, key: ReleaseKey): ReleaseSignature {
  return {
    sha256: createHash('sha256').update(tarball).digest('hex'),
    signatureBase64: sign(null, tarball, key.privateKey).toString('base64'),
  };
}

/** The SPKI DER of a public key PEM: what the CA endorses. */
export function spkiDerOf(publicKeyPem: string): Buffer {
  return createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
}

import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { k8sService } from '../../../agent/services/http/k8s';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { run, startService, type ServiceHarness } from '../services/service-harness';
import { portLine, serviceProbesPath } from './nmap-probes';

/**
 * kube-apiserver is not packaged by Debian, so the reference is a published nmap scan of a real
 * one (minikube, anonymous auth): `ssl/http Golang net/http server`, GetRequest answered with
 * `HTTP/1.0 403` (Go echoes the request's protocol) and these headers in this order. nmap 7.93's
 * Go softmatch predates Go's `; charset=utf-8`; nmap >= 7.95 accepts both, and names a real
 * apiserver and ours alike: the test runs 7.93 with that one upstream line.
 */
const ip = '127.21.4.1';
const realGetHeaders = [
  'Audit-Id',
  'Cache-Control',
  'Content-Type',
  'X-Content-Type-Options',
  'X-Kubernetes-Pf-Flowschema-Uid',
  'X-Kubernetes-Pf-Prioritylevel-Uid',
  'Date',
  'Content-Length',
];
const realGetBody =
  '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \\"system:anonymous\\" cannot get path \\"/\\"","reason":"Forbidden","details":{},"code":403}\n';
const oldGoSoftmatch =
  'Content-Type: text/plain\\r\\nConnection: close\\r\\n\\r\\n400 Bad Request| p|Golang net/http server|';
const newGoSoftmatch =
  'Content-Type: text/plain(?:; charset=utf-8)?\\r\\nConnection: close\\r\\n\\r\\n400 Bad Request| p|Golang net/http server|';

function tlsExchange(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: ip, port: 6443, rejectUnauthorized: false }, () => s.write(request));
    let out = '';
    s.setTimeout(5_000, () => s.destroy(new Error('no answer within 5 s')));
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

describe('k8s fidelity against a real kube-apiserver scan', () => {
  let h: ServiceHarness;
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-fidelity-k8s-');
    h = await startService(k8sService, { ip, distro: 'debian' }, { dataDir: join(tmp.dir, 'data') });
  });
  afterAll(async () => {
    await h?.stop();
    await tmp?.remove();
  });

  it("answers nmap's GetRequest like the real apiserver: HTTP/1.0 403, same headers and order, same body", async () => {
    const answer = await tlsExchange('GET / HTTP/1.0\r\n\r\n');
    const [head = '', body] = answer.split('\r\n\r\n');
    const [status, ...lines] = head.split('\r\n');
    expect(status).toBe('HTTP/1.0 403 Forbidden');
    expect(lines.map((l) => l.split(':')[0])).toEqual(realGetHeaders);
    expect(body).toBe(realGetBody);
    expect(lines).toContain(`Content-Length: ${Buffer.byteLength(realGetBody)}`);
  });

  it('is named "ssl/http Golang net/http server" by nmap -sV with the current Go signature', async () => {
    const probes = await readFile(serviceProbesPath, 'utf8');
    expect(probes.includes(oldGoSoftmatch) || probes.includes(newGoSoftmatch)).toBe(true);
    await writeFile(join(tmp.dir, 'nmap-service-probes'), probes.replace(oldGoSoftmatch, newGoSoftmatch));
    await copyFile('/usr/share/nmap/nmap-services', join(tmp.dir, 'nmap-services'));
    const r = await run('nmap', ['--datadir', tmp.dir, '-Pn', '-n', '-sV', '--version-intensity', '7', '-p6443', ip], {
      timeoutMs: 120_000,
    });
    expect(portLine(r.stdout, 6443)).toBe('6443/tcp open ssl/http Golang net/http server');
  }, 150_000);
});

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** Resolves a URL path inside `root`, or null when it escapes it (`..`, encoded or not, NUL). */
export function safeJoin(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const base = resolve(root);
  const full = resolve(base, '.' + normalize('/' + decoded));
  return full === base || full.startsWith(base + sep) ? full : null;
}

/** Serves the renderer build; unknown paths get index.html so client-side routes survive a reload. */
export async function serveStatic(root: string, urlPath: string, res: ServerResponse): Promise<void> {
  const target = safeJoin(root, urlPath);
  if (!target) return void sendText(res, 400, 'bad path');
  let file = target;
  const st = await stat(file).catch(() => null);
  if (!st?.isFile())
    file =
      st?.isDirectory() && (await isFile(join(file, 'index.html')))
        ? join(file, 'index.html')
        : join(resolve(root), 'index.html');
  if (!(await isFile(file))) return void sendText(res, 404, 'the console UI is not built (run npm run build)');
  res.writeHead(200, {
    'content-type': types[extname(file)] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    'cache-control': file.endsWith('index.html') ? 'no-cache' : 'public, max-age=3600',
    'content-security-policy':
      "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
  });
  createReadStream(file).pipe(res);
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isFile() ?? false;
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

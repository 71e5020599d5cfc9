#!/usr/bin/env node
import { existsSync } from 'node:fs';
const entry = new URL('../out/agent/cli.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('decnet-agent: not built yet: run `npm run build` first');
  process.exit(1);
}
await import(entry.href);

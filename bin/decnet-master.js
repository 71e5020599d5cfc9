#!/usr/bin/env -S node --max-old-space-size=1024
// The heap cap is not a limit the master nears (10,000 workers are ~100 MB live): below 2 GB V8
// grows the old generation ≤ 2× the live heap between collections instead of 4×, which held the
// 10,000-worker master at ~280 MB RSS instead of ~560 (design §10). scripts/start.mjs passes the same.
import { existsSync } from 'node:fs';
const entry = new URL('../out/main/cli.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('decnet-master: not built yet: run `npm run build` first');
  process.exit(1);
}
await import(entry.href);

// Draws the DECNET app icon (assets/icons/icon.png, 512x512) without image tools: a dark rounded
// square with three concentric "decoy" rings and a solid core. Run once; the PNG is committed.
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';

const N = 512;
const px = Buffer.alloc(N * N * 4);
const mix = (a, b, t) => Math.round(a + (b - a) * t);
for (let y = 0; y < N; y++) {
  for (let x = 0; x < N; x++) {
    const i = (y * N + x) * 4;
    // rounded square mask (radius 96), 1 px anti-aliasing
    const dx = Math.max(0, Math.abs(x - 255.5) - (256 - 96 - 16));
    const dy = Math.max(0, Math.abs(y - 255.5) - (256 - 96 - 16));
    const edge = Math.hypot(dx, dy) - 96;
    const alpha = Math.max(0, Math.min(1, 0.5 - edge));
    const t = y / N;
    let [r, g, b] = [mix(16, 10, t), mix(24, 14, t), mix(39, 26, t)];
    const d = Math.hypot(x - 255.5, y - 255.5);
    for (const [radius, w, k] of [
      [170, 14, 0.35],
      [122, 14, 0.6],
      [74, 14, 0.85],
    ]) {
      const a = Math.max(0, Math.min(1, w / 2 + 0.5 - Math.abs(d - radius)));
      [r, g, b] = [mix(r, 45, a * k), mix(g, 212, a * k), mix(b, 191, a * k)];
    }
    const core = Math.max(0, Math.min(1, 30.5 - d));
    [r, g, b] = [mix(r, 94, core), mix(g, 234, core), mix(b, 212, core)];
    px.set([r, g, b, Math.round(alpha * 255)], i);
  }
}
const rows = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) px.copy(rows, y * (N * 4 + 1) + 1, y * N * 4, (y + 1) * N * 4);
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc(body));
  return Buffer.concat([len, body, c]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr.set([8, 6, 0, 0, 0], 8);
const png = Buffer.concat([
  Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(rows, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync('assets/icons/icon.png', png);
console.log(`assets/icons/icon.png ${png.length} bytes`);

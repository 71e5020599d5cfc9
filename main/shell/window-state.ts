import { z } from 'zod';

/** The window's last size and position, kept in `<userData>/window-state.json`. */
export const WindowBounds = z.strictObject({
  x: z.number().int().min(-100_000).max(100_000).optional(),
  y: z.number().int().min(-100_000).max(100_000).optional(),
  width: z.number().int().min(400).max(20_000),
  height: z.number().int().min(300).max(20_000),
  maximized: z.boolean().optional(),
});
export type WindowBounds = z.infer<typeof WindowBounds>;

export type StateFs = Readonly<{ readFile(path: string): string; writeFile(path: string, data: string): void }>;

type Rect = { x: number; y: number; width: number; height: number };

/**
 * Loads and saves the window bounds. A missing, oversized or malformed file is ignored (the
 * window opens at its default size); a position on no current display is dropped so the window
 * never opens off-screen after a monitor was unplugged.
 */
export function windowStateStore(path: string, fs: StateFs) {
  return {
    load(displays: readonly Rect[]): WindowBounds | null {
      let raw: string;
      try {
        raw = fs.readFile(path);
      } catch {
        return null;
      }
      if (raw.length > 4096) return null;
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return null;
      }
      const parsed = WindowBounds.safeParse(json);
      if (!parsed.success) return null;
      const b = parsed.data;
      if (b.x === undefined || b.y === undefined) return b;
      const { x, y } = b;
      const visible = displays.some(
        (d) => x + 50 > d.x && x < d.x + d.width - 50 && y >= d.y && y < d.y + d.height - 50,
      );
      if (visible) return b;
      const { x: _x, y: _y, ...size } = b;
      return size;
    },
    save(bounds: WindowBounds): void {
      const parsed = WindowBounds.safeParse(bounds);
      if (parsed.success) fs.writeFile(path, JSON.stringify(parsed.data) + '\n');
    },
  };
}

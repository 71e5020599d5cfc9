import { describe, expect, it } from 'vitest';
import { safeJoin } from '../../../main/core/console-api/static-files';

describe('static file paths', () => {
  it('stays inside the root whatever the URL says', () => {
    expect(safeJoin('/srv/ui', '/index.html')).toBe('/srv/ui/index.html');
    expect(safeJoin('/srv/ui', '/assets/app.js?v=1')).toBe('/srv/ui/assets/app.js');
    expect(safeJoin('/srv/ui', '/../../etc/passwd')).toBe('/srv/ui/etc/passwd');
    expect(safeJoin('/srv/ui', '/%2e%2e/%2e%2e/etc/passwd')).toBe('/srv/ui/etc/passwd');
    expect(safeJoin('/srv/ui', '/a/%00b')).toBeNull();
    expect(safeJoin('/srv/ui', '/%E0%A4%A')).toBeNull();
  });
});

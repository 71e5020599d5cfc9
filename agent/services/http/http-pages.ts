/**
 * Static pages of the HTTP honeypot. Error pages reproduce Apache's and nginx's built-in ones byte
 * for byte (modulo the server line), because a generic error page is one of the first things a
 * fingerprinting tool compares.
 */
export type ServerFlavour = 'apache' | 'nginx';

export function flavourOf(server: string): ServerFlavour {
  return /nginx|openresty/i.test(server) ? 'nginx' : 'apache';
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

const reasons: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Request Entity Too Large',
  431: 'Request Header Fields Too Large',
};

const apacheText: Readonly<Record<number, (method: string) => string>> = {
  400: () => '<p>Your browser sent a request that this server could not understand.<br />\n</p>',
  404: () => '<p>The requested URL was not found on this server.</p>',
  405: (method) => `<p>The requested method ${escapeHtml(method)} is not allowed for this URL.</p>`,
  413: (method) =>
    `The requested resource does not allow request data with ${escapeHtml(method)} requests, or the amount of data provided in\nthe request exceeds the capacity limit.`,
  431: () =>
    '<p>Your browser sent a request that this server could not understand.<br />\nSize of a request header field exceeds server limit.<br />\n</p>',
};

export type ErrorPage = Readonly<{ status: number; contentType: string; body: string }>;

/** The error page a real server of this flavour would send. */
export function errorPage(opts: {
  status: number;
  flavour: ServerFlavour;
  server: string;
  host: string;
  port: number;
  method: string;
}): ErrorPage {
  const reason = reasons[opts.status] ?? 'Error';
  if (opts.flavour === 'nginx') {
    // nginx says "Not Allowed" for 405 in its built-in page and hides the version only when told to.
    const title = opts.status === 405 ? '405 Not Allowed' : `${opts.status} ${reason}`;
    const body = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>${escapeHtml(opts.server)}</center>\r\n</body>\r\n</html>\r\n`;
    return { status: opts.status, contentType: 'text/html', body };
  }
  const text = (apacheText[opts.status] ?? (() => ''))(opts.method);
  const body =
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n' +
    `<title>${opts.status} ${reason}</title>\n</head><body>\n<h1>${reason}</h1>\n${text}\n<hr>\n` +
    `<address>${escapeHtml(opts.server)} Server at ${escapeHtml(opts.host)} Port ${opts.port}</address>\n</body></html>\n`;
  return { status: opts.status, contentType: 'text/html; charset=iso-8859-1', body };
}

/** A plain corporate sign-in page; the form posts back to /login so credentials are captured. */
export function loginPage(title: string, failed: boolean): string {
  const t = escapeHtml(title);
  const error = failed ? '\n        <div class="error">Invalid username or password.</div>' : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${t}</title>
  <style>
    body { font-family: "Segoe UI", Helvetica, Arial, sans-serif; background: #eef1f5; margin: 0; }
    .box { width: 340px; margin: 12vh auto; background: #fff; padding: 32px 36px; border-radius: 6px;
           box-shadow: 0 2px 10px rgba(0,0,0,.12); }
    h1 { font-size: 20px; font-weight: 600; color: #24303f; margin: 0 0 20px; }
    label { display: block; font-size: 13px; color: #56606d; margin: 14px 0 4px; }
    input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: 9px 10px;
           border: 1px solid #c5ccd6; border-radius: 4px; font-size: 14px; }
    button { margin-top: 22px; width: 100%; padding: 10px; background: #2d6cdf; color: #fff; border: 0;
           border-radius: 4px; font-size: 15px; cursor: pointer; }
    .error { background: #fdecea; color: #a4262c; padding: 8px 10px; border-radius: 4px; font-size: 13px; }
    .foot { margin-top: 18px; font-size: 11px; color: #8a94a1; text-align: center; }
  </style>
</head>
<body>
  <div class="box">
    <h1>${t}</h1>
    <form method="post" action="/login" autocomplete="off">${error}
      <label for="username">Username</label>
      <input type="text" id="username" name="username" autofocus>
      <label for="password">Password</label>
      <input type="password" id="password" name="password">
      <button type="submit">Sign in</button>
    </form>
    <div class="foot">Authorized use only. All activity may be monitored.</div>
  </div>
</body>
</html>
`;
}

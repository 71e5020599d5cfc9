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

/** Reason phrases as each product writes them in its status line (they differ from Node's). */
const apacheReasons: Readonly<Record<number, string>> = {
  200: 'OK',
  301: 'Moved Permanently',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  501: 'Not Implemented',
};
const nginxReasons: Readonly<Record<number, string>> = {
  ...apacheReasons,
  405: 'Not Allowed',
  414: 'Request-URI Too Large',
  505: 'HTTP Version Not Supported',
};

export function reasonOf(flavour: ServerFlavour, status: number): string {
  return (flavour === 'nginx' ? nginxReasons : apacheReasons)[status] ?? 'Error';
}

/** What the page says; `detail` is the method (405/413/501), the target (301) or the 400 variant. */
const apacheText: Readonly<Record<number, (detail: string) => string>> = {
  301: (location) => `<p>The document has moved <a href="${escapeHtml(location)}">here</a>.</p>`,
  400: (variant) =>
    variant === 'header-too-large'
      ? '<p>Your browser sent a request that this server could not understand.<br />\nSize of a request header field exceeds server limit.<br />\n</p>'
      : '<p>Your browser sent a request that this server could not understand.<br />\n</p>',
  403: () => "<p>You don't have permission to access this resource.</p>",
  404: () => '<p>The requested URL was not found on this server.</p>',
  405: (method) => `<p>The requested method ${escapeHtml(method)} is not allowed for this URL.</p>`,
  408: () => '<p>Server timeout waiting for the HTTP request from the client.</p>',
  413: (method) =>
    `The requested resource does not allow request data with ${escapeHtml(method)} requests, or the amount of data provided in\nthe request exceeds the capacity limit.`,
  414: () => "<p>The requested URL's length exceeds the capacity\nlimit for this server.<br />\n</p>",
  501: (method) => `<p>${escapeHtml(method)} not supported for current URL.<br />\n</p>`,
};

/**
 * Apache's error pages said HTML 2.0 until 2.4.63 and HTML 4.01 Strict from 2.4.64 (measured: 2.4.71
 * on Debian sends 4.01), so the doctype follows the version the persona claims.
 */
function apacheDoctype(server: string): string {
  const v = /Apache\/2\.4\.(\d+)/.exec(server);
  return v && Number(v[1]) >= 64
    ? '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">'
    : '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">';
}

export type ErrorPage = Readonly<{ status: number; contentType: string; body: string }>;

/** The error page a real server of this flavour would send. */
export function errorPage(opts: {
  status: number;
  flavour: ServerFlavour;
  server: string;
  host: string;
  port: number;
  /** The method for 405/413/501, the Location for 301, 'header-too-large' for that 400. */
  detail: string;
}): ErrorPage {
  const reason = reasonOf(opts.flavour, opts.status);
  if (opts.flavour === 'nginx') {
    const title = `${opts.status} ${reason}`;
    const body = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>${escapeHtml(opts.server)}</center>\r\n</body>\r\n</html>\r\n`;
    return { status: opts.status, contentType: 'text/html', body };
  }
  const text = (apacheText[opts.status] ?? (() => ''))(opts.detail);
  const body =
    `${apacheDoctype(opts.server)}\n<html><head>\n` +
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

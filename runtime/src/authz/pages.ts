import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}',
  'h1{font-size:1.4rem}dt{font-weight:600}dd{margin:0 0 .8rem 0;word-break:break-all}',
  '.warn{background:#fff4e5;border-left:4px solid #b35c00;padding:.5rem .8rem}',
  'button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.8rem}',
].join('');
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/**
 * Sends a server-rendered page with the headers every sign-in page carries: a strict CSP (no
 * script at all, the one style by hash, no framing, forms only to this origin and `formTargets`
 * (browsers apply `form-action` to the redirects after a submission too)), no caching, no referrer,
 * no MIME sniffing.
 *
 * @param formTargets - origins (or `scheme:` sources) a form's redirect chain may reach; `'unrestricted'`
 *   leaves `form-action` out (the dev login page, whose chain ends at whatever client signs in).
 */
export function sendPage(res: ServerResponse, status: number, title: string, body: string, formTargets: readonly string[] | 'unrestricted' = []): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main aria-labelledby="title"><h1 id="title">${escapeHtml(title)}</h1>${body}</main></body></html>`;
  const formAction = formTargets === 'unrestricted' ? '' : ` form-action ${["'self'", ...formTargets].join(' ')};`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html).toString(),
    'cache-control': 'no-store',
    'content-security-policy': `default-src 'none'; style-src ${STYLE_HASH}; img-src 'none';${formAction} frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  });
  res.end(html);
}

/** An error page: shown instead of a redirect when the redirect URI cannot be trusted. */
export function sendErrorPage(res: ServerResponse, status: number, message: string): void {
  sendPage(res, status, 'Sign-in stopped', `<p role="alert">${escapeHtml(message)}</p><p>You can close this window.</p>`);
}

/** What the consent page shows. Every field is text of this server or checked client metadata. */
export interface ConsentView {
  readonly flowId: string;
  readonly csrf: string;
  readonly clientName: string;
  /** The CIMD host, or undefined for a dynamic (unverified) registration. */
  readonly verifiedHost?: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly resource: string;
  /** The signed-in user, when consent is asked after the sign-in. */
  readonly user?: string;
  readonly formTargets: readonly string[];
}

/** The consent page: names the client, where the user goes back to, and the scopes. Works without script. */
export function sendConsentPage(res: ServerResponse, view: ConsentView): void {
  const origin = (() => {
    try {
      const url = new URL(view.redirectUri);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : `${url.protocol}//${url.host}`;
    } catch {
      return view.redirectUri;
    }
  })();
  const identity = view.verifiedHost
    ? `<p>The client's identity is published by <strong>${escapeHtml(view.verifiedHost)}</strong>.</p>`
    : '<p class="warn" role="note"><strong>Unverified client.</strong> It registered itself; its name was not checked by anyone. Only continue if you started this sign-in.</p>';
  const scopes = view.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('');
  const body = [
    `<p><strong>${escapeHtml(view.clientName)}</strong> asks to use this MCP server${view.user ? ` as <strong>${escapeHtml(view.user)}</strong>` : ''}.</p>`,
    identity,
    '<dl>',
    `<dt>Server</dt><dd>${escapeHtml(view.resource)}</dd>`,
    `<dt>You will be sent back to</dt><dd>${escapeHtml(origin)}<br><small>${escapeHtml(view.redirectUri)}</small></dd>`,
    `<dt>Permissions</dt><dd><ul>${scopes || '<li>none</li>'}</ul></dd>`,
    '</dl>',
    '<p>Your choice is remembered for this client until you revoke it on <a href="/oauth/consents">the page of applications you allowed</a>.</p>',
    '<form method="post" action="/oauth/consent">',
    `<input type="hidden" name="flow" value="${escapeHtml(view.flowId)}">`,
    `<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">`,
    '<button type="submit" name="decision" value="allow">Allow</button>',
    '<button type="submit" name="decision" value="deny">Deny</button>',
    '</form>',
  ].join('');
  sendPage(res, 200, 'Allow access?', body, view.formTargets);
}

/** One row of the consents page. */
export interface ConsentRow {
  readonly clientId: string;
  readonly clientName: string;
  /** The CIMD host, or undefined for a dynamic (unverified) registration. */
  readonly verifiedHost?: string;
  readonly scopes: readonly string[];
  /** Epoch seconds of the user's choice. */
  readonly grantedAt: number;
}

/** What the consents page shows. */
export interface ConsentsView {
  readonly user: string;
  readonly csrf: string;
  readonly rows: readonly ConsentRow[];
  /** Set right after a revocation (post, redirect, get): the page says what happened. */
  readonly revoked: boolean;
  /** Access token lifetime, seconds: how long a revoked client may still use what it holds. */
  readonly accessTokenSeconds: number;
}

function minutes(seconds: number): string {
  const value = Math.max(1, Math.ceil(seconds / 60));
  return `${value} minute${value === 1 ? '' : 's'}`;
}

/**
 * The consents page: every application the signed-in user allowed, each with a revoke form
 * (CSRF token, no script), and a sign-out form. Forms post to this origin only.
 */
export function sendConsentsPage(res: ServerResponse, view: ConsentsView): void {
  const hidden = `<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">`;
  const rows = view.rows.map((row) => {
    const identity = row.verifiedHost ? `published by <strong>${escapeHtml(row.verifiedHost)}</strong>` : '<strong>unverified</strong> (registered itself)';
    const scopes = row.scopes.map((scope) => `<code>${escapeHtml(scope)}</code>`).join(', ') || 'none';
    return [
      '<li><dl>',
      `<dt>Application</dt><dd>${escapeHtml(row.clientName)} <small>(${escapeHtml(row.clientId)})</small></dd>`,
      `<dt>Identity</dt><dd>${identity}</dd>`,
      `<dt>Permissions</dt><dd>${scopes}</dd>`,
      `<dt>Allowed</dt><dd><time datetime="${new Date(row.grantedAt * 1000).toISOString()}">${new Date(row.grantedAt * 1000).toISOString().replace('T', ' ').slice(0, 16)} UTC</time></dd>`,
      '</dl>',
      '<form method="post" action="/oauth/consents">',
      hidden,
      `<input type="hidden" name="client" value="${escapeHtml(row.clientId)}">`,
      `<button type="submit" name="action" value="revoke" aria-label="Revoke access of ${escapeHtml(row.clientName)}">Revoke</button>`,
      '</form></li>',
    ].join('');
  });
  const body = [
    `<p>Signed in as <strong>${escapeHtml(view.user)}</strong>. These applications may use this MCP server on your behalf.</p>`,
    view.revoked
      ? `<p role="status" class="warn">Access revoked. The application must ask you again; its sign-in can no longer be renewed. An access token it already holds stays valid for at most ${minutes(view.accessTokenSeconds)}.</p>`
      : '',
    rows.length > 0 ? `<ul aria-label="Applications you allowed">${rows.join('')}</ul>` : '<p>You have not allowed any application.</p>',
    `<p>Revoking ends the application's sign-in: it cannot renew its access and must ask you again. An access token it already holds stays valid for at most ${minutes(view.accessTokenSeconds)}.</p>`,
    '<form method="post" action="/oauth/consents">',
    hidden,
    '<button type="submit" name="action" value="signout">Sign out of this page</button>',
    '</form>',
  ].join('');
  sendPage(res, 200, 'Applications you allowed', body);
}

/** A plain message page for the consents page's outcomes (signed out, refused, not found). */
export function sendNoticePage(res: ServerResponse, status: number, title: string, message: string): void {
  sendPage(res, status, title, `<p role="${status >= 400 ? 'alert' : 'status'}">${escapeHtml(message)}</p><p><a href="/oauth/consents">Back to the applications you allowed</a></p>`);
}

/**
 * Development mode checks no keys, and listens on loopback only (assertSafeToListen). That
 * alone does not keep a web page out: a page on a name its owner controls can re-point that
 * name at 127.0.0.1 (DNS rebinding) and then read the API's answers as its own origin. The
 * browser still sends the page's name in `Host`, so in development mode a request whose
 * Host is not a loopback name or address (or a name in ALLOWED_HOSTS) is refused with 421
 * Misdirected Request. The raw header is read, never X-Forwarded-Host, which such a page
 * could set.
 */
import { isIP } from 'node:net';
import type { Context, Next } from 'koa';
import { HttpProblem } from './problem';

/** The host part of a Host header value, lower-case, without port, brackets or a trailing dot. */
export function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  const name = value.startsWith('[') ? value.slice(1, value.indexOf(']') === -1 ? undefined : value.indexOf(']')) : value.replace(/:\d*$/, '');
  return name.replace(/\.$/, '');
}

/** localhost (and names under it, RFC 6761), 127.0.0.0/8, ::1, and IPv4-mapped 127.x. */
export function isLoopbackName(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(name) || /^::ffff:127\./.test(name);
  return false;
}

/** The middleware: a no-op outside development mode. */
export function loopbackHostsOnly({ devMode, allowedHosts }: { devMode: boolean; allowedHosts: readonly string[] }) {
  const allowed = new Set(allowedHosts.map(hostName));
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!devMode) return next();
    const header = ctx.req.headers.host ?? '';
    const name = hostName(header);
    if (isLoopbackName(name) || allowed.has(name)) return next();
    throw new HttpProblem(
      421,
      'Misdirected Request',
      `Development mode answers only requests addressed to this machine (Host localhost, 127.x.x.x or [::1]), not ${JSON.stringify(header.slice(0, 100))}: ` +
        'a page elsewhere could otherwise reach an API that checks no keys. Use http://127.0.0.1:<port>, add the name to ALLOWED_HOSTS (comma-separated), or configure API keys and leave development mode off.',
    );
  };
}

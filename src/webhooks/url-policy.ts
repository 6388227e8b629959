/**
 * Which URLs a completion webhook may be sent to, so the feature is no SSRF tool: http or
 * https, no credentials in the URL, and a host whose every address is public, unless the
 * host is in WEBHOOK_ALLOWED_HOSTS. When that list is set, only its hosts are allowed
 * (an entry `*.example.com` allows its subdomains), and a listed host may be private.
 * The API checks at the start (a 400); the worker checks again before each attempt and
 * connects to the address it checked, so a DNS answer that changes meanwhile does not pass.
 */
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

export interface WebhookPolicy {
  /** Lower-case host names or IP literals; empty: any host with public addresses. */
  allowedHosts: readonly string[];
}

export const WEBHOOK_URL_MAX_LENGTH = 2048;

/** Loopback, private, link-local, shared, documentation, benchmark, multicast and reserved ranges. */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 3],
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  // An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 one.
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] : undefined;
  if (mapped) return isPublicAddress(mapped);
  return !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The URL's host as the list holds it: lower case, an IPv6 literal without its brackets. */
function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}

function listed(host: string, policy: WebhookPolicy): boolean {
  return policy.allowedHosts.some((entry) => entry === host || (entry.startsWith('*.') && host.endsWith(entry.slice(1))));
}

/** What is wrong with the URL's form or host name, before any lookup; undefined when nothing. */
export function webhookUrlProblem(raw: string, policy: WebhookPolicy): string | undefined {
  if (raw.length > WEBHOOK_URL_MAX_LENGTH) return `must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not hold credentials (sign with `secret` instead)';
  if (policy.allowedHosts.length > 0 && !listed(hostOf(url), policy)) return `host ${hostOf(url)} is not in WEBHOOK_ALLOWED_HOSTS`;
  return undefined;
}

export interface CheckedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * The address to connect to for `raw`, after the form check and a lookup: a listed host's
 * first address, another host's only if every address it has is public. Throws an Error
 * saying why not.
 */
export async function resolveWebhookAddress(raw: string, policy: WebhookPolicy): Promise<CheckedAddress> {
  const problem = webhookUrlProblem(raw, policy);
  if (problem) throw new Error(problem);
  const host = hostOf(new URL(raw));
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
  } catch (error) {
    throw new Error(`host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'lookup failed'})`);
  }
  if (addresses.length === 0) throw new Error(`host ${host} does not resolve`);
  if (!listed(host, policy)) {
    const inner = addresses.find((a) => !isPublicAddress(a.address));
    if (inner) throw new Error(`host ${host} is a loopback, private or reserved address (${inner.address}); list it in WEBHOOK_ALLOWED_HOSTS to allow it`);
  }
  return { address: addresses[0].address, family: addresses[0].family === 6 ? 6 : 4 };
}

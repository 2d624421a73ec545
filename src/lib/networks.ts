import net from 'node:net';

/**
 * Address ranges, and which internal ones a callback may reach (NOTIFICATIONS_PRIVATE_NETWORKS):
 * pure address arithmetic, shared by the configuration, the rule on a callback URL at subscription
 * time and the guard on the resolved address at every connection.
 */

export type AddressType = 'ipv4' | 'ipv6';

/** One range: its network address, prefix length and family. */
export interface Cidr {
  address: string;
  prefix: number;
  type: AddressType;
}

/** A URL's host as the rules compare it: lower case, an IPv6 literal without its brackets. */
export const hostOf = (url: URL): string => url.hostname.toLowerCase().replace(/^\[|\]$/g, '');

export const addressType = (address: string): AddressType => (net.isIPv6(address) ? 'ipv6' : 'ipv4');

/** One `net.BlockList` of these ranges: it matches every spelling of an address, IPv4-mapped IPv6 (`::ffff:a01:203`) included. */
export function rangeList(cidrs: readonly Cidr[]): net.BlockList {
  const list = new net.BlockList();
  for (const { address, prefix, type } of cidrs) list.addSubnet(address, prefix, type);
  return list;
}

const cidr = (address: string, prefix: number): Cidr => ({ address, prefix, type: addressType(address) });

/** NAT64's well-known prefix (RFC 6052): an address in it reaches the IPv4 address in its last 32 bits. */
const NAT64 = rangeList([cidr('64:ff9b::', 96)]);

/** The eight 16-bit groups of an IPv6 address, in any spelling (`::`, an embedded dotted quad, upper case). */
function ipv6Groups(address: string): number[] {
  const [head = '', tail] = new URL(`http://[${address}]/`).hostname.slice(1, -1).split('::');
  const parts = (s: string) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  if (tail === undefined) return parts(head);
  const [before, after] = [parts(head), parts(tail)];
  return [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after];
}

/**
 * The address a connection to this one really reaches, so that a private, loopback or metadata address
 * cannot come in through the IPv6 side: for NAT64's well-known prefix (`64:ff9b::a01:203` is 10.1.2.3),
 * the IPv4-translated form of SIIT (`::ffff:0:a01:203`, RFC 2765) and the deprecated IPv4-compatible
 * form (`::10.1.2.3`, RFC 4291) the IPv4 address in the last 32 bits; for 6to4 (`2002::/16`) the one
 * in bits 16-47; else the address itself.
 */
export function reachedAddress(address: string): string {
  if (!net.isIPv6(address)) return address;
  const groups = ipv6Groups(address);
  const ipv4 = (hi = 0, lo = 0) => [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  if (groups[0] === 0x2002) return ipv4(groups[1], groups[2]);
  const [hi = 0, lo = 0] = groups.slice(6);
  const ipv4Compatible = groups.slice(0, 6).every((g) => g === 0) && (hi > 0 || lo > 1); // not :: nor ::1
  const ipv4Translated = groups.slice(0, 4).every((g) => g === 0) && groups[4] === 0xffff && groups[5] === 0;
  return NAT64.check(address, 'ipv6') || ipv4Compatible || ipv4Translated ? ipv4(hi, lo) : address;
}

/**
 * Addresses never called, whatever the settings, with the reason: link-local, metadata, unspecified,
 * multicast, reserved; and IPv6 prefixes that reach an IPv4 address this side cannot tell: a local-use
 * NAT64 prefix (RFC 8215; its operator picks where in it the IPv4 address stands) and Teredo (RFC 4380;
 * the address is obscured in it). No callback has a reason to be one of them.
 */
const NEVER: [reason: string, list: net.BlockList][] = [
  ['link-local or metadata address', rangeList([cidr('169.254.0.0', 16)])],
  ['metadata address', rangeList([cidr('100.100.100.200', 32), cidr('fd00:ec2::254', 128)])],
  ['unspecified, multicast or reserved address', rangeList([cidr('0.0.0.0', 8), cidr('224.0.0.0', 3)])],
  ['IETF protocol assignment (reserved)', rangeList([cidr('192.0.0.0', 24)])],
  ['link-local address', rangeList([cidr('fe80::', 10)])],
  ['unspecified or multicast address', rangeList([cidr('::', 128), cidr('ff00::', 8)])],
  ['local-use NAT64 or Teredo address (an IPv4 address that cannot be told)', rangeList([cidr('64:ff9b:1::', 48), cidr('2001::', 32)])],
];

/** Why an address is never called (what it reaches, through NAT64 or 6to4 too), or null. */
export function neverCalled(address: string): string | null {
  if (!net.isIP(address)) return null;
  const reached = reachedAddress(address);
  const type = addressType(reached);
  for (const [reason, list] of NEVER) if (list.check(reached, type)) return reason;
  return null;
}

/** Loopback: reached only by hosts listed in NOTIFICATIONS_HTTP_HOSTS (and only where the private-network setting allows it). */
export const LOOPBACK_RANGES: readonly Cidr[] = [cidr('127.0.0.0', 8), cidr('::1', 128)];
const LOOPBACK = rangeList(LOOPBACK_RANGES);

/**
 * Whether a host is loopback: an address that reaches it (through NAT64 or 6to4 too), or a name that
 * always resolves to it (`localhost` and names under it, RFC 6761, with or without the root's dot).
 */
export function isLoopback(host: string): boolean {
  if (!net.isIP(host)) {
    const name = host.toLowerCase().replace(/\.$/, ''); // `localhost.` is the same name, fully qualified
    return name === 'localhost' || name.endsWith('.localhost');
  }
  const reached = reachedAddress(host);
  return LOOPBACK.check(reached, addressType(reached));
}

/** This machine's own loopback addresses as written (127/8, ::1, and 127/8 IPv4-mapped): nothing that routes elsewhere. */
const OWN_LOOPBACK = rangeList(LOOPBACK_RANGES);

/**
 * Whether a URL may be trusted to fetch an identity provider's documents and keys from: https, or plain
 * http to this machine only, as in tests. Over plain http elsewhere, anyone on the path could hand the
 * registry keys of their own and sign any token. Stricter than isLoopback(), which blocks: an address
 * that might reach loopback (NAT64, 6to4), a name under `.localhost` and `localhost.` (which DNS may
 * answer) go over the network, so here only `localhost` itself and loopback address literals count.
 */
export function isHttpsOrLoopback(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  const host = hostOf(url);
  if (host === 'localhost') return true; // from the hosts file; `localhost.` (fully qualified) is asked of DNS
  return net.isIP(host) !== 0 && OWN_LOOPBACK.check(host, addressType(host));
}

/**
 * Private address space: RFC 1918, shared address space (CGNAT, RFC 6598), the benchmarking networks
 * (RFC 2544 and RFC 5180, which some networks use internally), IPv6 unique local addresses (RFC 4193)
 * and their deprecated forerunner, site-local (RFC 3879). Where municipal case systems live, and where the
 * hosting party's own internal services do.
 */
export const PRIVATE_RANGES: readonly Cidr[] = [
  cidr('10.0.0.0', 8),
  cidr('172.16.0.0', 12),
  cidr('192.168.0.0', 16),
  cidr('100.64.0.0', 10),
  cidr('198.18.0.0', 15),
  cidr('2001:2::', 48),
  cidr('fc00::', 7),
  cidr('fec0::', 10),
];

/** The internal space the setting governs: private networks and loopback. */
const INTERNAL_RANGES = [...PRIVATE_RANGES, ...LOOPBACK_RANGES];
const INTERNAL = rangeList(INTERNAL_RANGES);

/** Which internal addresses callbacks may reach: all of them (the default), or those in these ranges (none: an empty list). */
export type PrivateNetworks = 'all' | readonly Cidr[];

const PRIVATE = rangeList(PRIVATE_RANGES);

/** Whether the address lies in private address space (loopback not included). */
export const isPrivate = (address: string): boolean => {
  if (!net.isIP(address)) return false;
  const reached = reachedAddress(address);
  return PRIVATE.check(reached, addressType(reached));
};

/** Whether the address (what it reaches) lies in private address space or loopback. */
const isInternal = (address: string): boolean => {
  const reached = reachedAddress(address);
  return INTERNAL.check(reached, addressType(reached));
};

/** The setting's ranges as one list, built once per setting (it is checked at every connection). */
const allowedLists = new WeakMap<readonly Cidr[], net.BlockList>();
const allowedList = (ranges: readonly Cidr[]): net.BlockList => {
  const list = allowedLists.get(ranges) ?? rangeList(ranges);
  allowedLists.set(ranges, list);
  return list;
};

/**
 * Whether an internal address is outside what the setting allows. A public address is never refused
 * here, nor a host name (it is judged by what it resolves to, at the connection).
 */
export function refusedInternal(address: string, allowed: PrivateNetworks): boolean {
  if (allowed === 'all' || !net.isIP(address) || !isInternal(address)) return false;
  const reached = reachedAddress(address);
  return !allowedList(allowed).check(reached, addressType(reached));
}

/**
 * Whether a name that always resolves to loopback (`localhost`) reaches an address the setting refuses.
 * It resolves to 127.0.0.1, ::1 or both, and a connection is refused when any address it resolves to is:
 * so both must be allowed.
 */
export function refusedLoopbackName(host: string, allowed: PrivateNetworks): boolean {
  return !net.isIP(host) && isLoopback(host) && ['127.0.0.1', '::1'].some((a) => refusedInternal(a, allowed));
}

const NOT_CIDR = 'must be a range in CIDR notation, such as 10.20.0.0/16 or fd12:3456::/32';

/**
 * `10.20.0.0/16` or `fd12:3456::/32` read as a range inside internal space, or why not. A range
 * partly or wholly outside it would suggest an allow-list of every destination, which this is not.
 */
export function parseInternalCidr(text: string): Cidr | string {
  const [, address = '', digits = ''] = /^([0-9a-fA-F.:]+)\/([0-9]{1,3})$/.exec(text) ?? [];
  if (!net.isIP(address)) return NOT_CIDR;
  const prefix = Number(digits);
  const type = addressType(address);
  if (prefix > (type === 'ipv4' ? 32 : 128)) return `has a prefix longer than an ${type === 'ipv4' ? 'IPv4' : 'IPv6'} address`;
  const inside = INTERNAL_RANGES.some((r) => r.type === type && prefix >= r.prefix && rangeList([r]).check(address, type));
  if (!inside) {
    return `is not inside private or loopback address space (${INTERNAL_RANGES.map((r) => `${r.address}/${r.prefix}`).join(', ')})`;
  }
  return { address, prefix, type };
}

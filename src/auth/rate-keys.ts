/**
 * Which budget an auth request draws from (the Limiter actor's key), as
 * plain functions: the Worker's `authRateLimit` (worker/routes/safety.ts)
 * wires them to the request.
 *
 * - Sign-ins (and anything under `/v1/auth/` that is neither a refresh nor
 *   a logout) draw from the client address's budget: `auth:<address>`. An
 *   IPv6 client usually holds a whole /64 (and can pick any address in it),
 *   so IPv6 addresses are keyed by their /64; IPv4 addresses by the whole
 *   address. A missing or malformed address shares one bucket.
 * - A refresh with a token this deployment signed draws from its session's
 *   budget: `refresh:<family id>`, so twenty sign-ins behind one NAT cannot
 *   starve everyone's token refresh. The family id is read from a token
 *   whose MAC was checked, so nobody can mint buckets at will.
 */

/** The key shared by requests whose address is missing or not an IP address. */
export const UNKNOWN_ADDRESS = "unknown";

/** The Limiter key of a sign-in from `address` (the `CF-Connecting-IP` header). */
export function signInKey(address: string | undefined): string {
  return `auth:${addressBucket(address)}`;
}

/** The Limiter key of a refresh of the session (refresh-token family) `familyId`. */
export function refreshKey(familyId: string): string {
  return `refresh:${familyId}`;
}

/**
 * The bucket of an address: the IPv4 address itself (dotted decimal); for
 * IPv6, its first 64 bits as `a:b:c:d::/64` (lower-case hex, no leading
 * zeros); an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) counts as its
 * IPv4 address. Anything else is UNKNOWN_ADDRESS.
 */
export function addressBucket(address: string | undefined): string {
  const text = address?.trim() ?? "";
  const v4 = parseIpv4(text);
  if (v4) return v4.join(".");
  const v6 = parseIpv6(text);
  if (!v6) return UNKNOWN_ADDRESS;
  const mapped = v6.slice(0, 5).every((h) => h === 0) && v6[5] === 0xffff;
  if (mapped) return [v6[6]! >> 8, v6[6]! & 255, v6[7]! >> 8, v6[7]! & 255].join(".");
  return `${v6.slice(0, 4).map((h) => h.toString(16)).join(":")}::/64`;
}

/** Four octets of a dotted-decimal IPv4 address, or undefined. */
function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    octets.push(n);
  }
  return octets;
}

/** Eight 16-bit groups of an IPv6 address (with `::`, an IPv4 tail or a `%zone`), or undefined. */
function parseIpv6(text: string): number[] | undefined {
  const address = text.replace(/%[^%]*$/, "");
  if (!/^[0-9A-Fa-f:.]+$/.test(address) || address.length > 45) return undefined;
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === "") return [];
    const out: number[] = [];
    const pieces = half.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  // An IPv4 tail is allowed only at the very end of the address.
  if (halves.length === 2 && halves[0]!.includes(".")) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

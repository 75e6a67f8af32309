/** A person-readable name for the device of a session, from the User-Agent it signed in with. */

/** "Chrome on Linux" from a User-Agent, or the agent itself when it is not recognised. */
export function deviceName(agent: string | null): string {
  if (!agent) return "An app or browser";
  const browser = /Edg\//.test(agent) ? "Edge" : /Firefox\//.test(agent) ? "Firefox" : /Chrom(e|ium)\//.test(agent) ? "Chrome" : /Safari\//.test(agent) ? "Safari" : undefined;
  const os = /Android/.test(agent) ? "Android" : /iPhone|iPad/.test(agent) ? "iOS" : /Windows/.test(agent) ? "Windows" : /Mac OS X/.test(agent) ? "macOS" : /Linux/.test(agent) ? "Linux" : undefined;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? (agent.length > 60 ? `${agent.slice(0, 60)}…` : agent);
}

/**
 * What a workload runs against: Parley, or the floor (test/bench/floor/), the
 * bare Durable Object chat room served by the same `wrangler dev`. A
 * workload speaks of rooms and users by number; a target turns them into
 * something a socket can open. Everything after the upgrade — hello, join,
 * send, the frames that come back — is the same BenchSocket for both.
 */
import type { Api, BenchUser } from "./api.ts";
import { mapLimit } from "./stats.ts";

export type TargetName = "floor" | "parley";

/** The order of a first repetition; later ones alternate (compare.ts). */
export const TARGET_ORDER: readonly TargetName[] = ["floor", "parley"];

export interface Endpoint {
  url: string;
  /** Bearer token for the upgrade; the floor takes none. */
  token?: string;
}

export interface Target {
  readonly name: TargetName;
  /**
   * Makes one room per member list (user numbers; the first one owns it) and
   * returns their ids. `label` is unique per workload run, so rooms are never reused.
   */
  rooms(label: string, members: ReadonlyArray<readonly number[]>): Promise<string[]>;
  /** Where user `user` opens a socket on room `room`. Only after `rooms` named that user. */
  endpoint(room: string, user: number): Endpoint;
}

/** Short, so that a group of 1000 fits one create request (3–32 of [A-Za-z0-9_]). */
export const username = (user: number) => `u_${user}`;

/** The floor: rooms are names, users a query parameter; nothing to set up. */
export class FloorTarget implements Target {
  readonly name = "floor";

  constructor(readonly wsUrl: string) {}

  async rooms(label: string, members: ReadonlyArray<readonly number[]>): Promise<string[]> {
    return members.map((_, k) => `${label}-${k}`);
  }

  endpoint(room: string, user: number): Endpoint {
    return { url: `${this.wsUrl}/bench/floor/${encodeURIComponent(room)}/ws?user=${username(user)}` };
  }
}

/**
 * Parley: users signed in with dev login (once, then reused by every
 * workload), rooms are groups created over REST, sockets carry the user's
 * access token.
 */
export class ParleyTarget implements Target {
  readonly name = "parley";
  readonly #users = new Map<number, { user: BenchUser; at: number }>();

  constructor(
    readonly api: Api,
    readonly wsUrl: string,
  ) {}

  async rooms(label: string, members: ReadonlyArray<readonly number[]>): Promise<string[]> {
    await this.#signIn([...new Set(members.flat())]);
    return mapLimit(members, 8, async (list, k) => {
      const owner = this.#user(list[0]!);
      const others = list.slice(1).map(username);
      const first = fittingPrefix(others);
      const id = await this.api.group(owner, `${label} ${k}`, others.slice(0, first));
      // Only when one create request cannot carry them all (see fittingPrefix).
      for (let i = first; i < others.length; i += ADD_MEMBERS_MAX) {
        await this.api.addMembers(owner, id, others.slice(i, i + ADD_MEMBERS_MAX));
      }
      return id;
    });
  }

  endpoint(room: string, user: number): Endpoint {
    return { url: `${this.wsUrl}/v1/conversations/${room}/ws`, token: this.#user(user).token };
  }

  /**
   * Signs in the users not signed in yet, and again those whose token is old:
   * an access token lives 15 minutes, and a socket whose token expires is
   * closed at its next frame (4101), which a long repeated run would reach.
   */
  async #signIn(users: readonly number[]): Promise<void> {
    const now = performance.now();
    const due = users.filter((u) => {
      const known = this.#users.get(u);
      return known === undefined || now - known.at > TOKEN_REUSE_MS;
    });
    await mapLimit(due, 16, async (u) => {
      this.#users.set(u, { user: await this.api.login(username(u)), at: performance.now() });
    });
  }

  #user(user: number): BenchUser {
    const known = this.#users.get(user);
    if (!known) throw new Error(`user ${user} was not signed in: name it in rooms() first`);
    return known.user;
  }
}

/** A token older than this is replaced before a workload run (it lives 15 minutes; a run takes at most a few). */
const TOKEN_REUSE_MS = 8 * 60_000;
/** `POST …/members` takes at most 100 usernames (src/protocol/rest.ts, AddMembersRequest). */
const ADD_MEMBERS_MAX = 100;
/** What one create request may carry: 1000 usernames (CreateConversationRequest) and 64 KiB of JSON (worker/app.ts), with room to spare. */
const CREATE_MEMBERS_MAX = 1000;
const CREATE_BODY_BUDGET = 60_000;

/** How many of `names` one create request can carry. */
function fittingPrefix(names: readonly string[]): number {
  let bytes = 100; // {"kind":"group","title":…,"members":[]}
  for (let i = 0; i < names.length; i++) {
    bytes += names[i]!.length + 3; // quotes and a comma
    if (i + 1 > CREATE_MEMBERS_MAX || bytes > CREATE_BODY_BUDGET) return i;
  }
  return names.length;
}

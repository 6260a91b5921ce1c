import type { Redis } from "ioredis";

/** Placeholders for the seed's ids in a key-name template (bytes no id contains). */
const SESSION = "\x01";
const USER = "\x02";
const CLIENT = "\x03";

/**
 * Restores `count` copies of every seed key, from copy number `first` on:
 * the seed's ids in each key name replaced by the copy's. Runs in Redis, so
 * a chunk costs one round trip and no client CPU per key.
 * ARGV: first, count, session-id prefix, digits, then (template, pttl, dump) per key.
 */
const RESTORE_COPIES = `
local first, count, prefix, digits = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4]
for i = first, first + count - 1 do
  local n = string.format('%0' .. digits .. 'd', i)
  local session, user, client = prefix .. n, 'scale_user_' .. n, 'scale_client_' .. n
  for k = 5, #ARGV, 3 do
    local name = string.gsub(string.gsub(string.gsub(ARGV[k], '\\1', session), '\\2', user), '\\3', client)
    redis.call('RESTORE', name, ARGV[k + 1], ARGV[k + 2])
  end
end
return count`;

/** Copies restored per script call: about 10k RESTOREs, some tens of ms of Redis time. */
const CHUNK = 2500;

/** The ids of the real session whose keys are copied: its user and client ids are the seed's own. */
export interface Seed {
  readonly sessionId: string;
  readonly userId: string;
  readonly clientId: string;
}

/**
 * Fills Redis with copies of one real session, whatever its layout: every
 * key whose name holds the seed's session, user or client id (the session
 * and its index keys; idempotency records and audit streams left out) is
 * DUMPed once and RESTOREd under new ids with its TTL. Values are copied as
 * they are, so a copy's index entries still name the seed session: filler
 * for the keyspace and memory, not sessions anyone reads.
 */
export class SessionCopies {
  #made = 0;

  private constructor(
    private readonly admin: Redis,
    private readonly keys: readonly { template: string; pttl: number; dump: Buffer }[],
    private readonly idPrefix: string,
    private readonly digits: number,
  ) {}

  /** Reads the seed's keys; a copy's session id has the seed's length ("sess_scale" and zero-padded digits). */
  static async of(admin: Redis, seed: Seed): Promise<SessionCopies> {
    const names: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await admin.scan(cursor, "COUNT", 1000);
      cursor = next;
      names.push(
        ...batch.filter(
          (name) =>
            !name.includes("idem:") &&
            !name.endsWith("audit") &&
            [seed.sessionId, seed.userId, seed.clientId].some((id) => name.includes(id)),
        ),
      );
    } while (cursor !== "0");
    if (!names.some((name) => name.includes(seed.sessionId))) throw new Error(`no key names the seed session ${seed.sessionId}`);
    const keys = [];
    for (const name of names) {
      const [dump, pttl] = await Promise.all([admin.dumpBuffer(name), admin.pttl(name)]);
      if (dump === null) throw new Error(`seed key ${name} vanished`);
      const template = name.replaceAll(seed.sessionId, SESSION).replaceAll(seed.userId, USER).replaceAll(seed.clientId, CLIENT);
      keys.push({ template, pttl: Math.max(pttl, 0), dump });
    }
    const idPrefix = "sess_scale";
    const digits = seed.sessionId.length - idPrefix.length;
    if (digits < 7) throw new Error(`seed session id ${seed.sessionId} is too short for numbered copies`);
    return new SessionCopies(admin, keys, idPrefix, digits);
  }

  /** The seed's key names (ids as placeholders), for the report. */
  get templates(): string[] {
    return this.keys.map(({ template }) =>
      template.replace(SESSION, "{session_id}").replace(USER, "{user_id}").replace(CLIENT, "{client_id}"),
    );
  }

  /** Copies made so far. */
  get made(): number {
    return this.#made;
  }

  /** Makes copies until there are `total`. */
  async fillTo(total: number): Promise<void> {
    const perKey = this.keys.flatMap(({ template, pttl, dump }) => [template, String(pttl), dump]);
    while (this.#made < total) {
      const count = Math.min(CHUNK, total - this.#made);
      await this.admin.eval(RESTORE_COPIES, 0, this.#made, count, this.idPrefix, this.digits, ...perKey);
      this.#made += count;
    }
  }
}

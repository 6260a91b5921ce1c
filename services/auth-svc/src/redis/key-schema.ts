import { auditStreamPattern } from "@faultmaven/audit";
import { defineKeySchema, idempotencyRecordPattern, KeyPattern, part } from "@faultmaven/redis";
import { MAX_LIVE_TOKENS_PER_USER, TOKEN_ID_PATTERN, USER_ID_PATTERN } from "../domain/token.js";

const userId = part("user_id", { pattern: USER_ID_PATTERN, patternDescription: "a user id (usr_...)" });
const tokenId = part("token_id", { pattern: TOKEN_ID_PATTERN, patternDescription: "a token id (tok_...)" });
// Usernames and e-mails are lower-cased before they get here.
const username = part("username", { maxLength: 64 });
const email = part("email", { maxLength: 254 });
const sourceSha256 = part("sha256_hex", { field: "source", pattern: /^[0-9a-f]{64}$/, patternDescription: "a SHA-256 hex digest" });
const sha256 = part("sha256_hex", { field: "token", pattern: /^[0-9a-f]{64}$/, patternDescription: "a SHA-256 hex digest" });

/**
 * The auth-svc key schema (DESIGN.md §2): the one definition its key
 * builders, the keyspace audit, the namespace sampler and
 * docs/key-schema.md (`pnpm docs:keys`) are derived from.
 */
export const authKeySchema = defineKeySchema({
  service: "auth-svc",
  keys: {
    user: new KeyPattern("auth:user:{user_id}", [userId], {
      type: "Hash",
      ttl: "none (60 s while a create is pending)",
      writtenBy: "CreateUser, UpdateUser, ChangePassword, Login (`l`); DeleteUser removes it",
      fields: [
        ["`u`, `e`", "username, e-mail (the user id is the key's); normalised (lower case)"],
        ["`d`", "display name; absent when empty"],
        ["`r`", "roles, comma-separated (role names hold no comma); absent when none"],
        [
          "`s`, `h`",
          "the argon2id PHC string split at its last `$`: `s` is the salt alone when the parameters are `m=19456,t=2,p=1` " +
            "(a constant of the layout, not the configured policy), else the parameters and salt without `$argon2id$v=19$` " +
            "(another algorithm or version: everything before the hash, starting with `$`); `h` the hash. Never returned",
        ],
        ["`c`, `m`, `l`", "created, updated (absent until the first change), last login: Unix ms, Redis clock"],
        ["`state`", "`pending` during a create (then the TTL), removed by the commit: an active user has no `state`"],
        ["`pe`, `pu`", "pending e-mail and until when (Unix ms), only during an e-mail change"],
        [
          "earlier layouts",
          "long names (`username`, `email`, `display_name`, `roles` as JSON, `password_salt` with the parameters, `password_hash`, " +
            "`created_at`, `updated_at`, `last_login`, `pending_email`, `pending_email_until`), `state` `active`; the first also " +
            "`user_id` and the whole PHC string in `password_hash`. Read everywhere; the user's next write (Login included) " +
            "rewrites it in this layout inside that write's script",
        ],
      ],
    }),
    username: new KeyPattern("auth:username:{username}", [username], {
      type: "String: user_id",
      ttl: "none (60 s while claimed by an unfinished create)",
      writtenBy: "CreateUser; DeleteUser removes it",
    }),
    email: new KeyPattern("auth:email:{email}", [email], {
      type: "String: user_id",
      ttl: "none (60 s while claimed by an unfinished create or change)",
      writtenBy: "CreateUser, UpdateUser (email); DeleteUser removes it",
    }),
    userList: new KeyPattern("auth:user_list", [], {
      type: "List: user ids, creation order",
      ttl: "none",
      writtenBy: "CreateUser; DeleteUser removes the entry; ListUsers prunes entries of vanished users",
    }),
    token: new KeyPattern("auth:token:{sha256_hex}", [sha256], {
      type: "String: user_id (earlier layout only)",
      ttl: "token TTL (24 h)",
      writtenBy:
        "no longer written: a token issued before the merged token hash has one; its revocation removes it, else it expires with its token",
    }),
    userTokens: new KeyPattern("auth:user_tokens:{user_id}", [userId], {
      type: "Sorted set: token ids, scored by order of issue (oldest lowest); a List in the earlier layout, turned into the set by the next Login",
      ttl: "its newest token's TTL",
      writtenBy:
        `Login (the push script answers the ids beyond the newest ${MAX_LIVE_TOKENS_PER_USER}, which Login then revokes, each revocation ` +
        `removing its own entry: at most ${MAX_LIVE_TOKENS_PER_USER} entries once every Login has finished); revocation removes entries; ` +
        "ListUserTokens prunes expired ones",
    }),
    tokenMeta: new KeyPattern("auth:token_meta:{token_id}", [tokenId], {
      type: "Hash: the token (one small listpack)",
      ttl: "token TTL (24 h)",
      writtenBy: "Login (stages it, then commits it by removing `staged`); ValidateToken (last_used, usage_count); revocation removes it",
      fields: [
        ["`user_id`", "owner"],
        ["`digest`", "SHA-256 of the whole token, base64url (earlier layout: `token_sha256`, hex, and a `token_id` field)"],
        ["`created_at`, `expires_at`, `last_used`", "Unix ms, Redis clock"],
        ["`usage_count`", "validations so far (absent: none)"],
        ["`staged`", "present from stage to commit: the token does not work yet"],
      ],
    }),
    usernameLoginFailures: new KeyPattern("auth:login_failures:username:{username}", [username], {
      type: "Hash",
      ttl: "AUTH_LOGIN_WINDOW_MS after the last counted attempt (plus the lock, while locked)",
      writtenBy: "Login (counts each attempt it lets through; a success deletes it); whether or not the account exists",
      fields: [
        ["`failures`", "attempts counted in the window (a success takes its own back)"],
        ["`locked_until`", "Unix ms (Redis clock): attempts before it are refused LOGIN_THROTTLED"],
      ],
    }),
    emailLoginFailures: new KeyPattern("auth:login_failures:email:{email}", [email], {
      type: "Hash (as `auth:login_failures:username:*`)",
      ttl: "AUTH_LOGIN_WINDOW_MS after the last counted attempt (plus the lock, while locked)",
      writtenBy: "Login by e-mail (counts each attempt it lets through; a success deletes it); whether or not the account exists",
    }),
    sourceLoginFailures: new KeyPattern("auth:login_failures:source:{sha256_hex}", [sourceSha256], {
      type: "Hash (as `auth:login_failures:username:*`)",
      ttl: "AUTH_LOGIN_WINDOW_MS after the last counted attempt (plus the lock, while locked)",
      writtenBy: "Login (counts each attempt it lets through; a success takes its own back); keyed by the SHA-256 of the source address",
    }),
    audit: auditStreamPattern("auth:"),
    idempotencyRecord: idempotencyRecordPattern(
      "auth:",
      "CreateUser (anchors `auth:user_list`: the user id every attempt of the key works on; and `auth:user:{user_id}`: " +
        "the created user), UpdateUser, ChangePassword and DeleteUser (`auth:user:{user_id}`), RevokeToken " +
        "(`auth:token_meta:{token_id}`; RevokeUserTokens, ChangePassword and DeleteUser also record each token they " +
        "revoke there) and RevokeUserTokens (`auth:user_tokens:{user_id}`: the count)",
    ),
  },
  notes: [
    "User ids are `usr_` + 128 random bits, token ids `tok_` + 96 random bits (base64url). Usernames and e-mails are " +
      "lower-cased before they become key parts, which makes them unique case-insensitively.",
    "**Uniqueness without multi-key transactions.** A create writes the user as `pending` with a 60 s TTL, claims " +
      "`auth:username:` and `auth:email:` (set-if-absent with a 60 s TTL), then makes the claims permanent, appends to " +
      "`auth:user_list` and activates the user (removes `state`, `PERSIST`): the commit. A claim counts as live only while the user it names " +
      "exists and holds that value (or announced it as pending e-mail, `pe`); anything else is debris of a create, change or " +
      "delete that died half-way, and the next claim takes it over with a compare-and-set script. Every step is a " +
      "single-key script, so the same code runs on Redis Cluster.",
    "**No late writes.** Every write is a Lua script carrying a not-after bound (Redis clock): one that reaches Redis after " +
      "the service stopped waiting does nothing. Each mutating call has one commit script; before it nothing the call wrote " +
      "is visible (pending user, announced e-mail, staged token), after it the call answers success and what follows is " +
      "cleanup (releasing claims, a revoked token's key and list entry) that a retry runs again.",
    "**E-mail changes** run one at a time per user: the change announces the address (`pe`, `pu`), claims the new address, commits " +
      "it (the script answers the address it replaced, read in the script), releases that address's claim, and only then " +
      "removes the announcement; a second change meanwhile gets `EMAIL_CHANGE_IN_PROGRESS`. DeleteUser removes the user " +
      "first (its tokens stop working at once), then releases its claims (including an address a change had in flight) " +
      "and revokes its tokens; a Login that finds its user gone after staging its token revokes that token itself.",
    "**Tokens** are `fm1.<user_id>.<token_id>.<secret>` with a 256-bit secret. Only the SHA-256 of the whole token is " +
      "stored, in the token's one hash `auth:token_meta:{token_id}`. Login stages that hash (marked `staged`, its " +
      "`created_at` and `expires_at` from the Redis clock) and the set entry, records the login (checking the user and " +
      "password are unchanged), then commits it by removing `staged` (only while the hash exists): a token works, and is " +
      "listed, only once committed. Revocation deletes the hash (the commit), then the set entry. A password change revokes " +
      "every token, then commits the new hash only if the user has not logged in since the revocation began (else revokes " +
      "again). Because the token names its own keys, ValidateToken is one Lua script over `auth:token_meta:{token_id}` and " +
      "`auth:user:{user_id}` (one round trip on standalone and Sentinel); on Cluster the two keys are read in parallel. " +
      "Tokens of the earlier layout (a `auth:token:{sha256_hex}` key beside a metadata hash holding `token_sha256`) still " +
      "validate, list and revoke until they expire; no migration step is needed.",
    "**Login throttling.** `auth:login_failures:*` count failed logins per submitted username, per submitted e-mail " +
      "(whether or not such an account exists, so the answer never tells) and per source address (its SHA-256, without " +
      "the port; an IPv6 source by its /64). Each attempt is counted when it is let through, before argon2 runs, by one " +
      "script that also checks the lock, so concurrent attempts cannot all pass the threshold; a success deletes the " +
      "account's counters and takes its own count back from the source's. See docs/operations.md (login protection).",
    "**Idempotency keys.** A keyed CreateUser first records, under `auth:user_list`, the user id it drew; every retry " +
      "works on that id (same pending user, same claims), and ACTIVATE records the created user (public fields only). " +
      "The other calls record their reply in their commit script (user hash, token metadata, or the user's token list " +
      "for RevokeUserTokens' count); a retry reads the record first and skips earlier steps, argon2 included.",
  ],
});

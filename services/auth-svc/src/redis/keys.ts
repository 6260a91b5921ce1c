import { keyPart } from "@faultmaven/redis";
import { TOKEN_ID_PATTERN, USER_ID_PATTERN } from "../domain/token.js";

const userIdRule = { pattern: USER_ID_PATTERN, patternDescription: "a user id (usr_...)" };
const tokenIdRule = { pattern: TOKEN_ID_PATTERN, patternDescription: "a token id (tok_...)" };

/**
 * The auth-svc key schema (DESIGN.md §2), built in one place from validated
 * parts. Username and e-mail parts are normalised (lower case) before they
 * get here.
 *
 *   auth:user:{user_id}          Hash    the user (password as argon2id hash)   no TTL
 *   auth:username:{username}     String  user_id                                no TTL
 *   auth:email:{email}           String  user_id                                no TTL
 *   auth:user_list               List    user ids, creation order               no TTL
 *   auth:token:{sha256_hex}      String  user_id                                token TTL (24 h)
 *   auth:user_tokens:{user_id}   List    token ids                              its newest token's TTL
 *   auth:token_meta:{token_id}   Hash    token metadata                         token TTL
 */
export const authKeys = {
  user: (userId: string) => `auth:user:${keyPart("user_id", userId, userIdRule)}`,
  username: (username: string) => `auth:username:${keyPart("username", username, { maxLength: 64 })}`,
  email: (email: string) => `auth:email:${keyPart("email", email, { maxLength: 254 })}`,
  userList: "auth:user_list",
  token: (sha256: string) =>
    `auth:token:${keyPart("token", sha256, { pattern: /^[0-9a-f]{64}$/, patternDescription: "a SHA-256 hex digest" })}`,
  userTokens: (userId: string) => `auth:user_tokens:${keyPart("user_id", userId, userIdRule)}`,
  tokenMeta: (tokenId: string) => `auth:token_meta:${keyPart("token_id", tokenId, tokenIdRule)}`,
};

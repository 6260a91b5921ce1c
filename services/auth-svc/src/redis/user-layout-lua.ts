import { DEFAULT_PHC_PARAMS, PHC_PREFIX, USER_FIELDS } from "./user-fields.js";

/**
 * Lua helpers for the user hash's layouts (see user-fields.ts), prepended
 * to the user scripts that need them. Reads understand every layout; each
 * write script first turns an earlier-layout user into the current layout
 * (TO_CURRENT_LAYOUT), in the same atomic run, then writes current names.
 */

/** `F.<earlier name>`: the current layout's field name, as in USER_FIELDS. */
export const USER_FIELDS_LUA = `
local F = {${Object.entries(USER_FIELDS)
  .map(([earlier, current]) => `${earlier} = '${current}'`)
  .join(", ")}}
`;

/**
 * user_state(key): 'pending', 'active' or nil (no user), in either layout
 * (the current one stores no state for an active user; it has \`u\`).
 */
export const USER_STATE = `${USER_FIELDS_LUA}
local function user_state(key)
  local f = redis.call('HMGET', key, 'state', F.username)
  if f[1] then return f[1] end
  if f[2] then return 'active' end
  return nil
end
`;

/** password_fields(phc): {salt, hash} as passwordFields (user-fields.ts) splits a PHC string. */
const PASSWORD_FIELDS = `
local function password_fields(phc)
  local cut = string.match(phc, '^.*()%$')
  if not cut then return '', phc end
  local head, hash = string.sub(phc, 1, cut - 1), string.sub(phc, cut + 1)
  local default_head = '${PHC_PREFIX}${DEFAULT_PHC_PARAMS}$'
  if #head > #default_head and string.sub(head, 1, #default_head) == default_head then
    return string.sub(head, #default_head + 1), hash
  end
  local params = string.sub(head, ${PHC_PREFIX.length + 1})
  if string.sub(head, 1, ${PHC_PREFIX.length}) == '${PHC_PREFIX}' and string.find(params, '$', 1, true) then return params, hash end
  return head, hash
end
`;

/**
 * to_current_layout(key): rewrites a user hash of an earlier layout (it
 * has \`username\`) in the current one, keeping its TTL; does nothing to
 * a current or absent one. Earlier layouts: long names, state 'active',
 * roles as JSON, the password as password_salt (without PHC_PREFIX unless
 * it starts with '$') + password_hash, or (the first) the whole PHC string
 * in password_hash beside a user_id field; an e-mail change's fields left
 * empty once finished. The hash is recreated: a whole PHC string (over 64
 * bytes) had made it a hashtable, which Redis never turns back.
 */
export const TO_CURRENT_LAYOUT = `${USER_FIELDS_LUA}${PASSWORD_FIELDS}
local function to_current_layout(key)
  if redis.call('HEXISTS', key, 'username') == 0 then return end
  local all = redis.call('HGETALL', key)
  local old = {}
  for i = 1, #all, 2 do old[all[i]] = all[i + 1] end
  local phc = old.password_hash or ''
  if old.password_salt then
    phc = (string.sub(old.password_salt, 1, 1) == '$' and '' or '${PHC_PREFIX}') .. old.password_salt .. '$' .. phc
  end
  local salt, hash = password_fields(phc)
  local new = {
    [F.roles] = table.concat(cjson.decode(old.roles or '[]'), ','),
    [F.password_salt] = salt,
    [F.password_hash] = hash,
  }
  if old.pending_email == '' then old.pending_email_until = nil end
  for name, value in pairs(old) do
    if F[name] then
      if new[F[name]] == nil then new[F[name]] = value end
    elseif name ~= 'user_id' and not (name == 'state' and value == 'active') then
      new[name] = value
    end
  end
  local pairs_out = {}
  for name, value in pairs(new) do
    if value ~= '' then
      pairs_out[#pairs_out + 1] = name
      pairs_out[#pairs_out + 1] = value
    end
  end
  local ttl = redis.call('PTTL', key)
  redis.call('DEL', key)
  redis.call('HSET', key, unpack(pairs_out))
  if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
end
`;

/** set_fields(key, from): HSET of ARGV's field/value pairs from index \`from\` on; an empty value removes its field (the layout stores none). */
export const SET_FIELDS = `
local function set_fields(key, from)
  for i = from, #ARGV, 2 do
    if ARGV[i + 1] == '' then redis.call('HDEL', key, ARGV[i]) else redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
  end
end
`;

/** public_hash(key): the user hash without its secret and transient fields (either layout): all that a recorded reply may hold. */
export const PUBLIC_HASH = `${USER_FIELDS_LUA}
local function public_hash(key)
  local hidden = {
    password_hash = true, password_salt = true, pending_email = true, pending_email_until = true,
    [F.password_hash] = true, [F.password_salt] = true, [F.pending_email] = true, [F.pending_email_until] = true,
  }
  local all = redis.call('HGETALL', key)
  local out = {}
  for i = 1, #all, 2 do
    if not hidden[all[i]] then
      out[#out + 1] = all[i]
      out[#out + 1] = all[i + 1]
    end
  end
  return out
end
`;

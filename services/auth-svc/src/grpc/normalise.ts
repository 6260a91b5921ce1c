/**
 * What the contract's rules cannot say: usernames and e-mails are unique
 * case-insensitively, so they are stored and looked up in lower case, and
 * a role list is a set. Formats and limits are checked before a handler
 * runs (protovalidate rules in auth.proto and auth_service.proto); the rules
 * admit only ASCII there, so lower-casing cannot change a length or let a
 * character in that the rules keep out.
 */
export const normalise = {
  username: (value: string): string => value.toLowerCase(),
  email: (value: string): string => value.toLowerCase(),
  roles: (roles: readonly string[]): string[] => [...new Set(roles)],
};

/**
 * A replayed Redis command's arguments with its not-after bound renewed: every
 * script of the repo carries, as its last argument, a Redis-clock time after
 * which it refuses to run; replayed as captured it would have passed, so it is
 * set 10 s ahead (the Redis server shares this clock) and the script does the
 * same TIME check.
 */
export function withFreshBound(name: string, args: Buffer[]): Buffer[] {
  if (!/^EVAL(SHA)?$/i.test(name)) return args;
  return [...args.slice(0, -1), Buffer.from(String(Date.now() + 10_000))];
}

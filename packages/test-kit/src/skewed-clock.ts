/**
 * Runs `fn` with this process's clock a day behind, so a timestamp taken
 * from Date.now() stands out from one taken from Redis TIME.
 */
export async function withServiceClockADayBehind<T>(fn: () => Promise<T>): Promise<T> {
  const realNow = Date.now;
  Date.now = () => realNow() - 86_400_000;
  try {
    return await fn();
  } finally {
    Date.now = realNow;
  }
}

import slotOf from "cluster-key-slot";

/** The Redis Cluster slot (0..16383) of `key`, hash tags honoured. */
export function keySlot(key: string): number {
  return slotOf(key);
}

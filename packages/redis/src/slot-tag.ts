import keySlot from "cluster-key-slot";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Length of a slot tag: 64^3 three-character strings cover all 16384 slots (checked when the table is built). */
export const SLOT_TAG_LENGTH = 3;

let table: string[] | undefined;

/** One base64url string of SLOT_TAG_LENGTH characters per Redis Cluster slot, found by CRC16 once (~262k hashes). */
function slotTags(): string[] {
  if (table) return table;
  const found: string[] = new Array(16384);
  let filled = 0;
  for (const a of ALPHABET)
    for (const b of ALPHABET)
      for (const c of ALPHABET) {
        const tag = a + b + c;
        const slot = keySlot(tag);
        if (found[slot] === undefined) {
          found[slot] = tag;
          filled++;
        }
      }
  if (filled !== 16384) throw new Error(`slot tags cover ${filled} of 16384 slots`);
  table = found;
  return table;
}

/**
 * A short base64url string in the same Redis Cluster slot as the hash tag
 * `{text}`: an id that starts with it can name keys (`{tag}`) in the slot of
 * keys tagged `{text}`, so an object addressed by its id alone (a report by
 * report id) lives in its owner's slot (the case's) and one script may touch both.
 */
export function slotTagOf(text: string): string {
  return slotTags()[keySlot(text)]!;
}

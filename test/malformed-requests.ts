import { create, ScalarType, toBinary, type DescField, type DescMessage } from "@bufbuild/protobuf";

/** One request body to send to a unary method, as raw gRPC frame bytes. */
export interface FuzzCase {
  readonly kind: "random" | "wrong-wire-type" | "invalid-utf8" | "truncated" | "deep-groups" | "frame";
  readonly label: string;
  /** The HTTP/2 DATA the caller sends before END_STREAM (length-prefixed frames, or not). */
  readonly data: Buffer;
  /** The message inside the one frame; absent for frame-level cases (never exactly one complete message). */
  readonly protobuf?: Uint8Array;
  /** Leave the request stream open after `data` (no END_STREAM). */
  readonly open?: boolean;
}

/** mulberry32: a small seeded RNG, so every run sends the same bytes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One gRPC length-prefixed message (uncompressed). */
export function frame(message: Uint8Array): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

const tag = (field: number, wireType: number) => varint(field * 8 + wireType);

/** A payload for each wire type (6 and 7 do not exist). */
const PAYLOADS: Record<number, number[]> = {
  0: [0x96, 0x01],
  1: [1, 2, 3, 4, 5, 6, 7, 8],
  2: [3, 0x61, 0x62, 0x63],
  3: [],
  4: [],
  5: [1, 2, 3, 4],
  6: [0],
  7: [0],
};

/** The wire type protobuf expects for a (non-packed) field. */
function wireTypeOf(field: DescField): number {
  if (field.fieldKind === "scalar" || field.fieldKind === "list" || field.fieldKind === "enum") {
    const scalar = field.fieldKind === "list" ? field.scalar : field.fieldKind === "enum" ? ScalarType.INT32 : field.scalar;
    if (field.fieldKind === "list" && field.listKind !== "scalar" && field.listKind !== "enum") return 2;
    switch (scalar) {
      case ScalarType.STRING:
      case ScalarType.BYTES:
        return 2;
      case ScalarType.DOUBLE:
      case ScalarType.FIXED64:
      case ScalarType.SFIXED64:
        return 1;
      case ScalarType.FLOAT:
      case ScalarType.FIXED32:
      case ScalarType.SFIXED32:
        return 5;
      default:
        return 0;
    }
  }
  return 2;
}

const INVALID_UTF8 = [[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0x61, 0xf0, 0x9f, 0x98]];

/** Every top-level string field, and the string fields one message level down (as [outer, inner]). */
function stringPaths(schema: DescMessage): DescField[][] {
  const isString = (f: DescField) => f.fieldKind === "scalar" && f.scalar === ScalarType.STRING;
  const paths: DescField[][] = schema.fields.filter(isString).map((f) => [f]);
  for (const outer of schema.fields) {
    if (outer.fieldKind !== "message") continue;
    for (const inner of outer.message.fields.filter(isString)) paths.push([outer, inner]);
  }
  return paths;
}

/** `bytes` as the value of `path` (a string field, maybe inside one message field). */
function nestString(path: DescField[], bytes: number[]): number[] {
  const [first, second] = path;
  const inner = [...tag((second ?? first)!.number, 2), ...varint(bytes.length), ...bytes];
  return second === undefined ? inner : [...tag(first!.number, 2), ...varint(inner.length), ...inner];
}

/** A request with every top-level string set, as a well-formed starting point for truncation. */
function wellFormed(schema: DescMessage): Uint8Array {
  const init: Record<string, unknown> = {};
  for (const field of schema.fields) {
    if (field.fieldKind === "scalar" && field.scalar === ScalarType.STRING && field.oneof === undefined)
      init[field.localName] = "some_value_1";
  }
  return toBinary(schema, create(schema, init as never));
}

/**
 * About 30 malformed or odd request bodies for a method taking `schema`:
 * random bytes, each field under every wrong wire type, invalid UTF-8 in
 * string fields, truncated messages, deeply nested and unterminated groups,
 * and frame-level faults (no message, a length prefix longer than the data,
 * half a prefix, two messages with the stream ended or left open).
 */
export function fuzzCases(schema: DescMessage, random: () => number): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const message = (kind: FuzzCase["kind"], label: string, bytes: number[] | Uint8Array) => {
    const protobuf = Uint8Array.from(bytes);
    cases.push({ kind, label, data: frame(protobuf), protobuf });
  };
  for (let i = 0; i < 8; i++) {
    const length = 1 + Math.floor(random() * 48);
    message(
      "random",
      `random #${i} (${length} bytes)`,
      Array.from({ length }, () => Math.floor(random() * 256)),
    );
  }
  for (const field of schema.fields) {
    const expected = wireTypeOf(field);
    for (const wireType of [0, 1, 2, 3, 4, 5, 6, 7].filter((w) => w !== expected)) {
      message("wrong-wire-type", `${field.name} as wire type ${wireType}`, [...tag(field.number, wireType), ...PAYLOADS[wireType]!]);
    }
  }
  for (const path of stringPaths(schema)) {
    const bytes = INVALID_UTF8[Math.floor(random() * INVALID_UTF8.length)]!;
    message(
      "invalid-utf8",
      `${path.map((f) => f.name).join(".")} = invalid UTF-8 ${Buffer.from(bytes).toString("hex")}`,
      nestString(path, bytes),
    );
  }
  const whole = wellFormed(schema);
  for (let i = 0; i < 4 && whole.length > 1; i++) {
    const cut = 1 + Math.floor(random() * (whole.length - 1));
    message("truncated", `well-formed request cut to ${cut} of ${whole.length} bytes`, whole.subarray(0, cut));
  }
  // 20,000 levels (40 KB): far past any decoder's recursion limit, and under the smallest receive limit (auth-svc, 64 KiB).
  message("deep-groups", "20000 nested groups", Array.from({ length: 20_000 }, () => tag(1000, 3)).flat());
  message("deep-groups", "unterminated group", [...tag(1000, 3), ...tag(1001, 0), 1]);
  const fragment = frame(whole);
  cases.push(
    { kind: "frame", label: "end of stream before any message", data: Buffer.alloc(0) },
    {
      kind: "frame",
      label: "length prefix longer than the data",
      data: Buffer.concat([fragment.subarray(0, 1), Buffer.from([0, 0, 1, 0]), whole]),
    },
    { kind: "frame", label: "half a length prefix", data: fragment.subarray(0, 3) },
    { kind: "frame", label: "two messages in a unary call", data: Buffer.concat([fragment, fragment]) },
    { kind: "frame", label: "two messages, stream left open", data: Buffer.concat([fragment, fragment]), open: true },
  );
  return cases;
}

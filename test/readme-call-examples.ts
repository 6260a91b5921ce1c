import { readFileSync } from "node:fs";

/** One call example of the README: a grpcurl line or the `npx buf curl` line. */
export interface CallExample {
  /** The command as the README shows it (continuation lines joined). */
  readonly command: string;
  /** The README's host:port, e.g. "localhost:50051". */
  readonly target: string;
  /** "/pkg.Service/Method", or undefined for a method listing. */
  readonly path: string | undefined;
  /** The JSON body as written (placeholders included), if any. */
  readonly body: string | undefined;
  /** True for a `buf curl ... 2>&1 | pnpm -s decode-error` line: run as a shell pipeline. */
  readonly decodesError: boolean;
}

/** Every call example in the README's "Calling it by hand" section, in order. */
export function readmeCallExamples(readmePath: string): CallExample[] {
  const readme = readFileSync(readmePath, "utf8");
  const start = readme.indexOf("## Calling it by hand");
  if (start < 0) throw new Error("README has no 'Calling it by hand' section");
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const commands = blocks.flatMap((block) =>
    block
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#")),
  );
  return commands.map(parseCommand);
}

function parseCommand(command: string): CallExample {
  const words = shellWords(command);
  if (words[0] === "grpcurl" && words[1] === "-plaintext") {
    let rest = words.slice(2);
    let body: string | undefined;
    if (rest[0] === "-d") {
      body = rest[1];
      rest = rest.slice(2);
    }
    const [target, what, ...extra] = rest;
    if (target === undefined || what === undefined || extra.length > 0) throw new Error(`unexpected grpcurl form: ${command}`);
    return { command, target, path: what === "list" ? undefined : `/${what}`, body, decodesError: false };
  }
  const bufCurl = ["npx", "buf", "curl", "--protocol", "grpc", "--http2-prior-knowledge", "-d"];
  const decodeError = ["2>&1", "|", "pnpm", "-s", "decode-error"];
  if (bufCurl.every((word, i) => words[i] === word)) {
    const tail = words.slice(bufCurl.length + 2);
    const decodesError = tail.length === decodeError.length && decodeError.every((word, i) => tail[i] === word);
    if (tail.length === 0 || decodesError) {
      const url = new URL(words[bufCurl.length + 1]!);
      return { command, target: url.host, path: url.pathname, body: words[bufCurl.length], decodesError };
    }
  }
  throw new Error(`not a call example this test can run: ${command}`);
}

/** Splits a command line into words: single quotes group, `#` outside quotes starts a comment. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const close = line.indexOf("'", i + 1);
      if (close < 0) throw new Error(`unclosed quote: ${line}`);
      word = (word ?? "") + line.slice(i + 1, close);
      i = close;
    } else if (c === " ") {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "#" && word === undefined) {
      break;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

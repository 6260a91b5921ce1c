import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** PEM file paths of a throwaway CA with a server (localhost, 127.0.0.1) and a client certificate. */
export interface TestPki {
  /** The folder holding every file (and the CA's key, for `issueClientCertificate`). */
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Deletes the folder and every file in it (certificates issued later included). */
  remove(): void;
}

/** PEM file paths of one client certificate and its key. */
export interface TestClientCertificate {
  readonly cert: string;
  readonly key: string;
}

/** Makes a one-day test PKI with openssl in a temp folder; `remove()` it after the file. */
export async function makeTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), "fm-pki-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    return await fill(dir, remove);
  } catch (error) {
    // A half-made PKI is of no use to anyone: leave nothing behind.
    remove();
    throw error;
  }
}

async function fill(dir: string, remove: () => void): Promise<TestPki> {
  const path = (name: string) => join(dir, name);
  await openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "1",
    "-subj",
    "/CN=faultmaven-test-ca",
  );
  await issue(dir, "server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  const client = await issueClientCertificate({ dir }, "client", { cn: "faultmaven-test-client" });
  return {
    dir,
    caCert: path("ca.crt"),
    serverCert: path("server.crt"),
    serverKey: path("server.key"),
    clientCert: client.cert,
    clientKey: client.key,
    remove,
  };
}

/**
 * Issues one more client certificate from the PKI's CA: subject CN `cn`,
 * and a URI SAN `uri` when given (a SPIFFE ID such as spiffe://faultmaven/agent).
 */
export async function issueClientCertificate(
  pki: Pick<TestPki, "dir">,
  name: string,
  names: { cn: string; uri?: string },
): Promise<TestClientCertificate> {
  const extensions = `extendedKeyUsage=clientAuth\n${names.uri === undefined ? "" : `subjectAltName=URI:${names.uri}\n`}`;
  await issue(pki.dir, name, `/CN=${names.cn}`, extensions);
  return { cert: join(pki.dir, `${name}.crt`), key: join(pki.dir, `${name}.key`) };
}

async function issue(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  await openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "1",
    "-extfile",
    `${name}.ext`,
  );
}

function openssl(dir: string, ...args: string[]) {
  return run("openssl", args, { cwd: dir });
}

/** `inferd keys`: client/keyring.ts through the CLI (output formats, prompts, errors as CliErrors). */
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CliError } from "../../client/errors";
import { KeyNotFoundError, openKeyring } from "../../client/keyring";
import { keysCommand, type KeysCommandIO } from "./keys";

const ABANDON = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const PASS = "correct horse battery staple";

let home: string;

beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), "inferd-keys-"));
});

afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

async function cosmjsAccount(mnemonic: string): Promise<{ address: string; pubkey: Uint8Array }> {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "infer" });
  const [account] = await wallet.getAccounts();
  return { address: account!.address, pubkey: account!.pubkey };
}

describe("keys command", () => {
  interface Captured {
    io: KeysCommandIO;
    out: () => string;
    err: () => string;
    passphrases: jest.Mock;
  }

  function capture(opts: { mnemonic?: string; passphrase?: string } = {}): Captured {
    let out = "";
    let err = "";
    const passphrases = jest.fn(async () => opts.passphrase ?? PASS);
    const io: KeysCommandIO = {
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
      readPassphrase: passphrases,
      readMnemonic: async () => opts.mnemonic ?? ABANDON,
      interactive: false,
    };
    return { io, out: () => out, err: () => err, passphrases };
  }

  async function run(c: Captured, ...args: string[]): Promise<void> {
    await keysCommand(c.io).parseAsync([...args, "--home", home], { from: "user" });
  }

  it("adds, shows, lists, exports and deletes through the CLI (test backend)", async () => {
    const add = capture();
    await run(add, "add", "alice", "--output", "json");
    const added = JSON.parse(add.out());
    expect(added.mnemonic.split(" ")).toHaveLength(24);
    expect(added.address).toBe((await cosmjsAccount(added.mnemonic)).address);

    const text = capture();
    await run(text, "add", "bob");
    expect(text.out()).toMatch(/^- address: infer1\w+\n {2}name: bob\n {2}pubkey: '\{"@type":"\/cosmos\.crypto\.secp256k1\.PubKey","key":"[A-Za-z0-9+/]{44}"\}'\n {2}type: local\n$/);
    expect(text.err()).toMatch(/\*\*Important\*\* write this mnemonic phrase/);
    const bobMnemonic = text.err().trim().split("\n").pop()!;
    expect(bobMnemonic.split(" ")).toHaveLength(24);
    expect(text.out()).not.toContain(bobMnemonic);

    const show = capture();
    await run(show, "show", "alice", "--address");
    expect(show.out()).toBe(`${added.address}\n`);

    const list = capture();
    await run(list, "list", "--output", "json");
    expect(JSON.parse(list.out()).map((k: { name: string }) => k.name)).toEqual(["alice", "bob"]);

    const exp = capture();
    await run(exp, "export", "bob");
    expect(exp.out()).toBe(`${bobMnemonic}\n`);

    await expect(run(capture(), "delete", "bob")).rejects.toThrow(/without --yes/);
    await run(capture(), "delete", "bob", "--yes");
    const after = capture();
    await run(after, "list", "--output", "json");
    expect(JSON.parse(after.out()).map((k: { name: string }) => k.name)).toEqual(["alice"]);
  });

  it("recovers from a mnemonic without echoing it back, on the file backend", async () => {
    const c = capture({ mnemonic: ABANDON });
    await run(c, "add", "abandon", "--recover", "--keyring-backend", "file", "--output", "json");
    const info = JSON.parse(c.out());
    expect(info.address).toBe((await cosmjsAccount(ABANDON)).address);
    expect(info.mnemonic).toBeUndefined();
    expect(c.passphrases).toHaveBeenCalledTimes(1);

    const wrong = capture({ passphrase: "nope" });
    const failure = run(wrong, "export", "abandon", "--keyring-backend", "file");
    await expect(failure).rejects.toBeInstanceOf(CliError);
    await expect(run(wrong, "export", "abandon", "--keyring-backend", "file")).rejects.toThrow(/^wrong passphrase/);
  });

  it("exports a raw key only with --unarmored-hex --unsafe", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    await kr.importPrivateKey("raw", "04".repeat(32));

    await expect(run(capture(), "export", "raw")).rejects.toThrow(/has no mnemonic; use --unarmored-hex --unsafe/);
    await expect(run(capture(), "export", "raw", "--unarmored-hex")).rejects.toThrow(/must be given together/);
    const c = capture();
    await run(c, "export", "raw", "--unarmored-hex", "--unsafe");
    expect(c.out()).toBe(`${"04".repeat(32)}\n`);
  });

  it("turns keyring errors into one-line CliErrors with exit code 1", async () => {
    const err = await run(capture(), "show", "ghost").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(1);
    expect((err as CliError).message).toMatch(/^key "ghost" not found in the test keyring \([^\n]*\)$/);
    expect((err as CliError).cause).toBeInstanceOf(KeyNotFoundError);
  });
});

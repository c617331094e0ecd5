import { Secp256k1, Secp256k1Signature, sha256 } from "@cosmjs/crypto";
import { fromBase64, fromHex, toBase64, toHex } from "@cosmjs/encoding";
import { DirectSecp256k1HdWallet, DirectSecp256k1Wallet, makeSignBytes, makeSignDoc } from "@cosmjs/proto-signing";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PassThrough, Writable } from "node:stream";
import {
  InvalidKeyNameError,
  InvalidMnemonicError,
  InvalidPrivateKeyError,
  KeyExistsError,
  KeyNotFoundError,
  KeyringCorruptError,
  PASSPHRASE_ENV,
  PassphraseRequiredError,
  type PromptIO,
  type PromptInput,
  StdinClosedError,
  WeakKeyFileError,
  WrongPassphraseError,
  openKeyring,
  readMnemonicFromStdin,
  readPassphraseFromStdin,
} from "./keyring";

const ABANDON = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const PASS = "correct horse battery staple";

let home: string;

beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), "inferd-keyring-"));
});

afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

async function cosmjsAccount(mnemonic: string): Promise<{ address: string; pubkey: Uint8Array }> {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "infer" });
  const [account] = await wallet.getAccounts();
  return { address: account!.address, pubkey: account!.pubkey };
}

function mode(stat: { mode: number }): number {
  return stat.mode & 0o777;
}

describe("test backend", () => {
  it("adds a key from a fresh 24-word mnemonic and stores it in clear, 0600 in a 0700 dir", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    const { info, mnemonic } = await kr.add("alice");

    expect(mnemonic.split(" ")).toHaveLength(24);
    expect(info.name).toBe("alice");
    expect(info.type).toBe("local");
    expect(info.address).toMatch(/^infer1[02-9ac-hj-np-z]{38}$/);
    expect(fromBase64(info.pubkey)).toHaveLength(33);
    expect(info.pubkeyAny).toEqual({ "@type": "/cosmos.crypto.secp256k1.PubKey", key: info.pubkey });
    // The generated mnemonic is really the key's: CosmJS derives the same account from it.
    const expected = await cosmjsAccount(mnemonic);
    expect(info.address).toBe(expected.address);
    expect(info.pubkey).toBe(toBase64(expected.pubkey));

    const file = path.join(home, "keyring-test", "alice.json");
    expect(mode(await fs.stat(file))).toBe(0o600);
    expect(mode(await fs.stat(path.join(home, "keyring-test")))).toBe(0o700);
    const record = JSON.parse(await fs.readFile(file, "utf8"));
    expect(record).toMatchObject({
      name: "alice",
      type: "local",
      address: info.address,
      pubkey: info.pubkey,
      hdPath: "m/44'/118'/0'/0/0",
      secret: { kind: "mnemonic", mnemonic },
    });
  });

  it("generates a different mnemonic each time", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    const a = await kr.add("a");
    const b = await kr.add("b");
    expect(a.mnemonic).not.toBe(b.mnemonic);
    expect(a.info.address).not.toBe(b.info.address);
  });

  it("recovers the well-known mnemonic to the same address as CosmJS DirectSecp256k1HdWallet", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    const { info, mnemonic } = await kr.add("abandon", { mnemonic: ABANDON });
    const expected = await cosmjsAccount(ABANDON);
    expect(mnemonic).toBe(ABANDON);
    expect(info.address).toBe(expected.address);
    expect(info.pubkey).toBe(toBase64(expected.pubkey));
    // Same 20 bytes as the Cosmos Hub address every wallet shows for this mnemonic.
    expect(info.address).toBe("infer19rl4cm2hmr8afy4kldpxz3fka4jguq0asyx4ap");
  });

  it("normalizes case and whitespace of a given mnemonic", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    const messy = `  ${ABANDON.toUpperCase().split(" ").join("  \t")}\n`;
    const { info, mnemonic } = await kr.add("messy", { mnemonic: messy });
    expect(mnemonic).toBe(ABANDON);
    expect(info.address).toBe((await cosmjsAccount(ABANDON)).address);
  });

  it.each([
    ["too few words", "abandon abandon abandon", /12, 15, 18, 21 or 24 words, got 3/],
    ["a word not in the list", ABANDON.replace("about", "aboot"), /word\(s\) 12 not in/],
    ["a bad checksum", Array(12).fill("abandon").join(" "), /checksum/],
  ])("rejects a mnemonic with %s, writing nothing", async (_why, bad, message) => {
    const kr = await openKeyring({ home, backend: "test" });
    const attempt = kr.add("x", { mnemonic: bad });
    await expect(attempt).rejects.toBeInstanceOf(InvalidMnemonicError);
    await expect(kr.add("x", { mnemonic: bad })).rejects.toThrow(message);
    expect(await kr.list()).toEqual([]);
  });

  it("refuses an existing name unless overwrite, and a known address under a second name", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    const first = await kr.add("alice", { mnemonic: ABANDON });

    await expect(kr.add("alice")).rejects.toBeInstanceOf(KeyExistsError);
    expect((await kr.show("alice")).address).toBe(first.info.address);

    await expect(kr.add("alice2", { mnemonic: ABANDON })).rejects.toThrow(/already stored as key "alice"/);

    const replaced = await kr.add("alice", { overwrite: true });
    expect(replaced.info.address).not.toBe(first.info.address);
    expect((await kr.show("alice")).address).toBe(replaced.info.address);
    expect(await kr.exportMnemonic("alice")).toBe(replaced.mnemonic);
  });

  it("lists keys sorted by name, and an empty keyring without creating it", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    expect(await kr.list()).toEqual([]);
    await expect(fs.stat(path.join(home, "keyring-test"))).rejects.toThrow(/ENOENT/);

    const added = new Map<string, string>();
    for (const name of ["carol", "alice", "bob"]) added.set(name, (await kr.add(name)).info.address);
    const listed = await kr.list();
    expect(listed.map((k) => k.name)).toEqual(["alice", "bob", "carol"]);
    for (const k of listed) expect(k.address).toBe(added.get(k.name));
  });

  it("shows a key by name or by address, and throws KeyNotFoundError otherwise", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    const { info } = await kr.add("alice", { mnemonic: ABANDON });
    await kr.add("bob");

    expect(await kr.show("alice")).toEqual(info);
    expect(await kr.show(info.address)).toEqual(info);
    await expect(kr.show("carol")).rejects.toBeInstanceOf(KeyNotFoundError);
    await expect(kr.show("infer1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqql8th9f")).rejects.toBeInstanceOf(KeyNotFoundError);
    await expect(kr.show("carol")).rejects.toThrow(/key "carol" not found in the test keyring/);
  });

  it("exports the mnemonic and the private key that belongs to the address", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    await kr.add("alice", { mnemonic: ABANDON });

    expect(await kr.exportMnemonic("alice")).toBe(ABANDON);
    const hex = await kr.exportPrivateKeyHex("alice");
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    expect(toHex(await kr.privateKey("alice"))).toBe(hex);
    const pubkey = Secp256k1.compressPubkey(Secp256k1.makeKeypair(fromHex(hex)).pubkey);
    expect(toBase64(pubkey)).toBe(toBase64((await cosmjsAccount(ABANDON)).pubkey));
    await expect(kr.exportPrivateKeyHex("nobody")).rejects.toBeInstanceOf(KeyNotFoundError);
  });

  it("imports a raw private key: no mnemonic, same address as CosmJS DirectSecp256k1Wallet", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    const privkey = fromHex("0101010101010101010101010101010101010101010101010101010101010101");
    const info = await kr.importPrivateKey("raw", `0x${toHex(privkey)}`);
    const [account] = await (await DirectSecp256k1Wallet.fromKey(privkey, "infer")).getAccounts();

    expect(info.address).toBe(account!.address);
    expect(await kr.exportMnemonic("raw")).toBeUndefined();
    expect(await kr.exportPrivateKeyHex("raw")).toBe(toHex(privkey));
    const record = JSON.parse(await fs.readFile(path.join(home, "keyring-test", "raw.json"), "utf8"));
    expect(record.hdPath).toBeNull();
    expect(record.secret).toEqual({ kind: "privateKey", privateKeyHex: toHex(privkey) });

    await expect(kr.importPrivateKey("short", "abcd")).rejects.toBeInstanceOf(InvalidPrivateKeyError);
    await expect(kr.importPrivateKey("zero", "00".repeat(32))).rejects.toBeInstanceOf(InvalidPrivateKeyError);
  });

  it("deletes a key, and throws KeyNotFoundError for a missing one", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    await kr.add("alice");
    await kr.add("bob");
    await kr.delete("alice");

    expect((await kr.list()).map((k) => k.name)).toEqual(["bob"]);
    await expect(kr.show("alice")).rejects.toBeInstanceOf(KeyNotFoundError);
    await expect(fs.stat(path.join(home, "keyring-test", "alice.json"))).rejects.toThrow(/ENOENT/);
    await expect(kr.delete("alice")).rejects.toBeInstanceOf(KeyNotFoundError);
  });

  it.each(["../evil", "a/b", ".hidden", "", "x".repeat(65), "sp ace"])(
    "rejects the key name %j before touching the disk",
    async (name) => {
      const kr = await openKeyring({ home, backend: "test" });
      await expect(kr.add(name)).rejects.toBeInstanceOf(InvalidKeyNameError);
      await expect(kr.delete(name)).rejects.toBeInstanceOf(InvalidKeyNameError);
      await expect(fs.readdir(home)).resolves.toEqual([]);
    },
  );

  it("never asks for a passphrase", async () => {
    const passphrase = jest.fn(async () => PASS);
    const kr = await openKeyring({ home, backend: "test", passphrase });
    await kr.add("alice");
    await kr.exportMnemonic("alice");
    await kr.signer("alice");
    expect(passphrase).not.toHaveBeenCalled();
  });

  it("refuses to use a key whose secret does not match its stored address", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    const alice = await kr.add("alice");
    const bob = await kr.add("bob");
    const file = path.join(home, "keyring-test", "alice.json");
    const record = JSON.parse(await fs.readFile(file, "utf8"));
    await fs.writeFile(file, JSON.stringify({ ...record, address: bob.info.address }));

    await expect(kr.signer("alice")).rejects.toBeInstanceOf(KeyringCorruptError);
    await expect(kr.exportPrivateKeyHex("alice")).rejects.toThrow(/does not match address/);
    expect(alice.info.address).not.toBe(bob.info.address);
  });

  it("reports a key file that is not a key record", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    await kr.add("alice");
    await fs.writeFile(path.join(home, "keyring-test", "alice.json"), "{ not json");
    await expect(kr.list()).rejects.toBeInstanceOf(KeyringCorruptError);
  });
});

describe("signer", () => {
  it("signs a SignDoc that verifies against the key's pubkey", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    const { info } = await kr.add("alice");
    const signer = await kr.signer("alice");

    const [account] = await signer.getAccounts();
    expect(account!.address).toBe(info.address);
    expect(toBase64(account!.pubkey)).toBe(info.pubkey);

    const signDoc = makeSignDoc(new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6]), "inferchain-1", 7);
    const { signature, signed } = await signer.signDirect(info.address, signDoc);
    expect(signed).toEqual(signDoc);
    expect(signature.pub_key.value).toBe(info.pubkey);

    const sig = Secp256k1Signature.fromFixedLength(fromBase64(signature.signature));
    const pubkey = fromBase64(info.pubkey);
    expect(Secp256k1.verifySignature(sig, sha256(makeSignBytes(signDoc)), pubkey)).toBe(true);
    // Control: the same signature does not verify another document.
    const other = makeSignDoc(new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6]), "inferchain-1", 8);
    expect(Secp256k1.verifySignature(sig, sha256(makeSignBytes(other)), pubkey)).toBe(false);
  });

  it("signs for a key imported from a private key", async () => {
    const kr = await openKeyring({ home, backend: "test" });
    const info = await kr.importPrivateKey("raw", "02".repeat(32));
    const signDoc = makeSignDoc(new Uint8Array([9]), new Uint8Array([8]), "inferchain-1", 0);
    const { signature } = await (await kr.signer("raw")).signDirect(info.address, signDoc);
    const sig = Secp256k1Signature.fromFixedLength(fromBase64(signature.signature));
    expect(Secp256k1.verifySignature(sig, sha256(makeSignBytes(signDoc)), fromBase64(info.pubkey))).toBe(true);
  });
});

describe("file backend", () => {
  it("seals the secret with scrypt N=2^18, r=8, p=1: no mnemonic words or private key in the file", async () => {
    const kr = await openKeyring({ home, backend: "file", passphrase: async () => PASS });
    const { info, mnemonic } = await kr.add("alice");
    const privHex = await kr.exportPrivateKeyHex("alice");
    const privkey = fromHex(privHex);

    const file = path.join(home, "keyring-file", "alice.json");
    expect(mode(await fs.stat(file))).toBe(0o600);
    expect(mode(await fs.stat(path.join(home, "keyring-file")))).toBe(0o700);
    const text = await fs.readFile(file, "utf8");

    // Any two adjacent words would contain a space, which base64 and hex never do.
    const words = mnemonic.split(" ");
    for (let i = 0; i + 1 < words.length; i++) expect(text).not.toContain(`${words[i]} ${words[i + 1]}`);
    for (const secret of [privHex, privHex.toUpperCase(), toBase64(privkey), Buffer.from(privkey).toString("latin1")]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/mnemonic|privateKey/);

    const record = JSON.parse(text);
    expect(record).toMatchObject({ name: "alice", type: "local", address: info.address, pubkey: info.pubkey });
    expect(record.version).toBe(2);
    expect(record.secret).toMatchObject({ kind: "sealed", kdf: "scrypt", cipher: "aes-256-gcm", kdfParams: { n: 2 ** 18, r: 8, p: 1 } });
    expect(Object.keys(record.secret).sort()).toEqual(["cipher", "ciphertext", "kdf", "kdfParams", "kind", "nonce", "tag"]);
    // Salt and nonce are fresh per file.
    await kr.add("bob");
    const bob = JSON.parse(await fs.readFile(path.join(home, "keyring-file", "bob.json"), "utf8"));
    expect(bob.secret.kdfParams.salt).not.toBe(record.secret.kdfParams.salt);
    expect(bob.secret.nonce).not.toBe(record.secret.nonce);
  });

  it("round-trips add/list/show/export/delete and recovers to the CosmJS address", async () => {
    const kr = await openKeyring({ home, backend: "file", insecureTestScrypt: true, passphrase: async () => PASS });
    const { info } = await kr.add("abandon", { mnemonic: ABANDON });
    expect(info.address).toBe((await cosmjsAccount(ABANDON)).address);
    await kr.importPrivateKey("raw", "03".repeat(32));

    expect((await kr.list()).map((k) => k.name)).toEqual(["abandon", "raw"]);
    expect(await kr.show(info.address)).toEqual(info);

    const reopened = await openKeyring({ home, backend: "file", insecureTestScrypt: true, passphrase: async () => PASS });
    expect(await reopened.exportMnemonic("abandon")).toBe(ABANDON);
    expect(await reopened.exportMnemonic("raw")).toBeUndefined();
    expect(await reopened.exportPrivateKeyHex("raw")).toBe("03".repeat(32));

    await reopened.delete("raw");
    expect((await reopened.list()).map((k) => k.name)).toEqual(["abandon"]);
    // The two backends are separate keyrings.
    expect(await (await openKeyring({ home, backend: "test" })).list()).toEqual([]);
  });

  it("asks for the passphrase lazily, at most once", async () => {
    const passphrase = jest.fn(async () => PASS);
    await (await openKeyring({ home, backend: "file", insecureTestScrypt: true, passphrase: async () => PASS })).add("alice");

    const kr = await openKeyring({ home, backend: "file", insecureTestScrypt: true, passphrase });
    await kr.list();
    await kr.show("alice");
    expect(passphrase).not.toHaveBeenCalled();

    await kr.exportMnemonic("alice");
    await kr.exportPrivateKeyHex("alice");
    await kr.signer("alice");
    await kr.add("bob");
    expect(passphrase).toHaveBeenCalledTimes(1);
  });

  it("fails with WrongPassphraseError on a wrong passphrase", async () => {
    await (await openKeyring({ home, backend: "file", insecureTestScrypt: true, passphrase: async () => PASS })).add("alice");
    const kr = await openKeyring({ home, backend: "file", insecureTestScrypt: true, passphrase: async () => "wrong" });

    await expect(kr.exportMnemonic("alice")).rejects.toBeInstanceOf(WrongPassphraseError);
    await expect(kr.signer("alice")).rejects.toBeInstanceOf(WrongPassphraseError);
    await expect(kr.privateKey("alice")).rejects.toThrow(/wrong passphrase for the file keyring/);
    // Nor can a key be added under a second passphrase.
    await expect(kr.add("bob")).rejects.toBeInstanceOf(WrongPassphraseError);
    expect((await kr.list()).map((k) => k.name)).toEqual(["alice"]);
  });

  it("needs a non-empty passphrase", async () => {
    const none = await openKeyring({ home, backend: "file", insecureTestScrypt: true });
    await expect(none.add("alice")).rejects.toBeInstanceOf(PassphraseRequiredError);
    const empty = await openKeyring({ home, backend: "file", insecureTestScrypt: true, passphrase: async () => "" });
    await expect(empty.add("alice")).rejects.toBeInstanceOf(PassphraseRequiredError);
    expect(await none.list()).toEqual([]);
  });
});

describe("reading secrets from stdin", () => {
  function pipeIO(lines: string, env: Record<string, string> = {}): PromptIO & { input: PassThrough; err: () => string } {
    const input = new PassThrough();
    input.end(lines);
    let written = "";
    const output = new Writable({
      write(chunk: Buffer, _enc, cb): void {
        written += chunk.toString();
        cb();
      },
    });
    return { input, output, env, err: () => written };
  }

  it("prefers $INFERD_KEYRING_PASSPHRASE and leaves stdin alone", async () => {
    const io = pipeIO("from-stdin\n", { [PASSPHRASE_ENV]: "from-env" });
    expect(await readPassphraseFromStdin("pass: ", io)).toBe("from-env");
    expect(await readPassphraseFromStdin("pass: ", { ...io, env: {} })).toBe("from-stdin");
  });

  it("reads successive lines of piped stdin: mnemonic first, then passphrase", async () => {
    const io = pipeIO(`\n  ${ABANDON}  \r\nhunter2\r\nlast`);
    expect(await readMnemonicFromStdin(io)).toBe(ABANDON);
    expect(await readPassphraseFromStdin("pass: ", io)).toBe("hunter2");
    expect(await readPassphraseFromStdin("pass: ", io)).toBe("last");
    await expect(readPassphraseFromStdin("pass: ", io)).rejects.toBeInstanceOf(StdinClosedError);
    expect(io.err()).toBe("");
  });

  it("fails cleanly when stdin is empty", async () => {
    await expect(readMnemonicFromStdin(pipeIO("\n\n"))).rejects.toBeInstanceOf(StdinClosedError);
  });

  it("reads a TTY passphrase with echo off", async () => {
    const base = pipeIO("");
    const input = new PassThrough() as PassThrough & PromptInput;
    input.isTTY = true;
    const rawModes: boolean[] = [];
    input.setRawMode = (on: boolean): void => void rawModes.push(on);
    const pending = readPassphraseFromStdin("Enter keyring passphrase: ", { input, output: base.output, env: {} });
    input.write("se\u007fecret\rignored");

    expect(await pending).toBe("secret");
    expect(rawModes).toEqual([true, false]);
    expect(base.err()).toBe("Enter keyring passphrase: \n");
  });
});

describe("file backend: the header is authenticated, weak scrypt params are refused, version 1 files migrate", () => {
  const fast = (passphrase = PASS) => openKeyring({ home, backend: "file", insecureTestScrypt: true, passphrase: async () => passphrase });
  const file = (name: string): string => path.join(home, "keyring-file", `${name}.json`);
  const readRecord = async (name: string) => JSON.parse(await fs.readFile(file(name), "utf8"));
  const writeRecord = (name: string, r: unknown) => fs.writeFile(file(name), JSON.stringify(r));

  it("any change to the header (salt, nonce, kdf params, hdPath, version...) makes decryption fail", async () => {
    const kr = await fast();
    await kr.add("alice", { mnemonic: ABANDON });
    const original = await readRecord("alice");
    expect(await (await fast()).exportMnemonic("alice")).toBe(ABANDON);
    const other = (await (await openKeyring({ home, backend: "test" })).add("other")).info;
    const edits: Array<[string, (r: any) => void]> = [
      ["hdPath", (r) => (r.hdPath = "m/44'/118'/0'/0/1")],
      ["address and pubkey (another key's)", (r) => Object.assign(r, { address: other.address, pubkey: other.pubkey })],
      ["kdf r", (r) => (r.secret.kdfParams.r = 9)],
      ["kdf N", (r) => (r.secret.kdfParams.n = 2 ** 11)],
      ["salt", (r) => (r.secret.kdfParams.salt = Buffer.alloc(16, 7).toString("base64"))],
      ["nonce", (r) => (r.secret.nonce = Buffer.alloc(12, 7).toString("base64"))],
      ["downgrade to version 1 (no associated data)", (r) => (r.version = 1)],
    ];
    for (const [what, edit] of edits) {
      const r = JSON.parse(JSON.stringify(original));
      edit(r);
      await writeRecord("alice", r);
      const err = await (await fast()).exportMnemonic("alice").then(() => undefined, (e: unknown) => e);
      expect([what, err]).toEqual([what, expect.any(WrongPassphraseError)]);
    }
    // The untouched file still opens.
    await writeRecord("alice", original);
    expect(await (await fast()).exportMnemonic("alice")).toBe(ABANDON);
  });

  it("refuses files whose scrypt parameters are below the floor, with a clear error, before deriving", async () => {
    // Written by the test-only fast mode (N=2^10): a normal keyring refuses it.
    await (await fast()).add("alice", { mnemonic: ABANDON });
    const normal = await openKeyring({ home, backend: "file", passphrase: async () => PASS });
    await expect(normal.exportMnemonic("alice")).rejects.toBeInstanceOf(WeakKeyFileError);
    await expect(normal.exportMnemonic("alice")).rejects.toThrow(/N=1024 r=8 p=1 are below the floor for version 2 files \(N ≥ 262144, r ≥ 8, p ≥ 1\).*inferd keys add alice --recover/);
    // list and show still work (no secret is read), so the key can be seen and deleted.
    expect((await normal.list()).map((k) => k.name)).toEqual(["alice"]);

    // N = 2 (the old code accepted it), and r = 1, even in the fast mode.
    const r = await readRecord("alice");
    await writeRecord("alice", { ...r, secret: { ...r.secret, kdfParams: { ...r.secret.kdfParams, n: 2 } } });
    await expect((await fast()).exportMnemonic("alice")).rejects.toBeInstanceOf(WeakKeyFileError);
    await writeRecord("alice", { ...r, secret: { ...r.secret, kdfParams: { ...r.secret.kdfParams, r: 1 } } });
    await expect((await fast()).exportMnemonic("alice")).rejects.toThrow(/r=1/);
  });

  it("a version 1 file (N=2^15, no associated data) opens and is re-sealed as version 2 on that unlock", async () => {
    // The previous version's format, sealed here with node:crypto as it sealed it.
    const { createCipheriv, randomBytes, scryptSync } = await import("node:crypto");
    const salt = randomBytes(16);
    const nonce = randomBytes(12);
    const key = scryptSync(PASS, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const cipher = createCipheriv("aes-256-gcm", key, nonce);
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify({ kind: "mnemonic", mnemonic: ABANDON }), "utf8"), cipher.final()]);
    const { address, pubkey } = await cosmjsAccount(ABANDON);
    await fs.mkdir(path.join(home, "keyring-file"), { recursive: true, mode: 0o700 });
    const v1 = {
      version: 1, name: "old", type: "local", algo: "secp256k1", address, pubkey: toBase64(pubkey), hdPath: "m/44'/118'/0'/0/0",
      secret: { kind: "sealed", kdf: "scrypt", kdfParams: { n: 2 ** 15, r: 8, p: 1, salt: salt.toString("base64") }, cipher: "aes-256-gcm", nonce: nonce.toString("base64"), ciphertext: ciphertext.toString("base64"), tag: cipher.getAuthTag().toString("base64") },
    };
    await writeRecord("old", v1);

    // A version 1 file below its own floor (N=2^14) is refused.
    await writeRecord("weak", { ...v1, name: "weak", secret: { ...v1.secret, kdfParams: { ...v1.secret.kdfParams, n: 2 ** 14 } } });
    const kr = await openKeyring({ home, backend: "file", passphrase: async () => PASS });
    await expect(kr.exportMnemonic("weak")).rejects.toThrow(/N=16384 r=8 p=1 are below the floor for version 1 files \(N ≥ 32768/);

    expect(await kr.exportMnemonic("old")).toBe(ABANDON);
    const migrated = await readRecord("old");
    expect(migrated).toMatchObject({ version: 2, name: "old", address, secret: { kdfParams: { n: 2 ** 18, r: 8, p: 1 } } });
    expect(migrated.secret.kdfParams.salt).not.toBe(v1.secret.kdfParams.salt);
    expect(await (await openKeyring({ home, backend: "file", passphrase: async () => PASS })).exportMnemonic("old")).toBe(ABANDON);
  }, 30_000);
});

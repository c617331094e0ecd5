/**
 * The client-side keyring used by `inferd keys`, the sidecar and scripts.
 *
 * Layout (one JSON file per key, so keys can be backed up or removed one by one):
 *   <home>/keyring-test/<name>.json   secret in clear   (local nets, CI)
 *   <home>/keyring-file/<name>.json   secret sealed with scrypt + AES-256-GCM
 * Files are 0600, directories 0700. Only the secret is sealed: name, address and
 * pubkey stay readable so `keys list` / `keys show` never ask for the passphrase.
 *
 * Sealing (file backend, record version 2): scrypt N=2^18, r=8, p=1 (geth's "standard"
 * strength, ~1 s and 256 MiB per unlock) and the whole header — version, name, type, algo,
 * address, pubkey, hdPath, kdf and its params and salt, cipher, nonce — bound to the
 * ciphertext as AES-GCM associated data, so changing any of it makes decryption fail. Reading
 * refuses scrypt params below a floor (N ≥ 2^18, r ≥ 8, p ≥ 1) before deriving anything.
 * Version 1 files (this project's earlier format: N=2^15, no associated data) are read with
 * a floor of N ≥ 2^15 and re-sealed as version 2 on their next successful unlock.
 *
 * All key derivation and signing is CosmJS (BIP-39, SLIP-10 on m/44'/118'/0'/0/0,
 * secp256k1, bech32 prefix `infer`), but for BIP-39's PBKDF2, which node:crypto runs (the
 * same bytes, ~50 ms sooner per unlock); node:crypto also seals files.
 */
import { rawSecp256k1PubkeyToRawAddress } from "@cosmjs/amino";
import { Bip39, EnglishMnemonic, Random, Secp256k1, Slip10, Slip10Curve, stringToPath } from "@cosmjs/crypto";
import { fromBase64, fromBech32, fromHex, toBase64, toBech32, toHex } from "@cosmjs/encoding";
import { DirectSecp256k1Wallet, type OfflineDirectSigner } from "@cosmjs/proto-signing";
import { createCipheriv, createDecipheriv, pbkdf2, randomBytes, scrypt } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { Readable, Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { KEYRING_BACKENDS, PASSPHRASE_ENV, type KeyringBackend } from "./home";

export const ADDRESS_PREFIX = "infer";
export const HD_PATH = "m/44'/118'/0'/0/0";
export const SECP256K1_PUBKEY_TYPE_URL = "/cosmos.crypto.secp256k1.PubKey";
export { KEYRING_BACKENDS, PASSPHRASE_ENV, type KeyringBackend };

export interface KeyInfo {
  name: string;
  type: "local";
  address: string;
  /** base64 of the 33-byte compressed secp256k1 key */
  pubkey: string;
  pubkeyAny: { "@type": typeof SECP256K1_PUBKEY_TYPE_URL; key: string };
}

export interface OpenKeyringOptions {
  home: string;
  backend: KeyringBackend;
  /** Asked lazily, at most once per Keyring, and only by the `file` backend. */
  passphrase?: () => Promise<string>;
  /**
   * TESTS ONLY: seal with scrypt N=2^10 (milliseconds instead of a second) and accept files
   * that weak. Nothing outside tests sets it, and a keyring opened without it refuses such
   * files like any other below the floor.
   */
  insecureTestScrypt?: boolean;
}

// ---------------------------------------------------------------------------
// Errors

export class KeyringError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = new.target.name;
  }
}

export class KeyNotFoundError extends KeyringError {
  constructor(
    readonly key: string,
    where: string,
  ) {
    super(`key "${key}" not found in ${where}`);
  }
}

export class KeyExistsError extends KeyringError {}
export class InvalidKeyNameError extends KeyringError {}
export class InvalidMnemonicError extends KeyringError {}
export class InvalidPrivateKeyError extends KeyringError {}
export class WrongPassphraseError extends KeyringError {
  constructor(where: string, headerBound = false) {
    super(`wrong passphrase for ${where}${headerBound ? " (or the key file was modified: its header is authenticated with the secret)" : ""}`);
  }
}
/** A sealed key file whose scrypt parameters are below the floor: refused before deriving anything. */
export class WeakKeyFileError extends KeyringError {}
/** The file backend was used without a passphrase source, or the passphrase was empty. */
export class PassphraseRequiredError extends KeyringError {}
/** A key file that does not parse, or whose secret does not match its address. */
export class KeyringCorruptError extends KeyringError {}
export class StdinClosedError extends KeyringError {}
export class PromptAbortedError extends KeyringError {}

// ---------------------------------------------------------------------------
// Stored records (the on-disk format is public: changing it is a migration)

type PlainSecret =
  | { readonly kind: "mnemonic"; readonly mnemonic: string }
  | { readonly kind: "privateKey"; readonly privateKeyHex: string };

interface SealedSecret {
  readonly kind: "sealed";
  readonly kdf: "scrypt";
  readonly kdfParams: { readonly n: number; readonly r: number; readonly p: number; readonly salt: string };
  readonly cipher: "aes-256-gcm";
  readonly nonce: string;
  readonly ciphertext: string;
  readonly tag: string;
}

interface KeyRecord {
  /** 2: sealed with associated data (file backend, this version); 1: test backend, or a file sealed before it. */
  readonly version: 1 | 2;
  readonly name: string;
  readonly type: "local";
  readonly algo: "secp256k1";
  readonly address: string;
  readonly pubkey: string;
  /** null for keys imported from a raw private key */
  readonly hdPath: string | null;
  readonly secret: PlainSecret | SealedSecret;
}

interface ScryptParams {
  readonly n: number;
  readonly r: number;
  readonly p: number;
}
// scrypt N=2^18, r=8 costs 256 MiB and ~1 s: paid once per key file read.
const SCRYPT_DEFAULTS: ScryptParams = { n: 1 << 18, r: 8, p: 1 };
/** The least a version 2 file may use, and the least a version 1 file (written with N=2^15) may. */
const SCRYPT_FLOOR: ScryptParams = SCRYPT_DEFAULTS;
const SCRYPT_FLOOR_V1: ScryptParams = { n: 1 << 15, r: 8, p: 1 };
const SCRYPT_TEST: ScryptParams = { n: 1 << 10, r: 8, p: 1 };
// Bounds on parameters read back from a file, so a crafted file cannot exhaust memory (1 GiB).
const SCRYPT_MAX_N = 1 << 20;
const SCRYPT_MAX_MEM = 1024 * 1024 * 1024;
/** Domain separation of the associated data. */
const AAD_TAG = "inferd-keyring-aad-v2";

const KEY_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MNEMONIC_WORD_COUNTS: readonly number[] = [12, 15, 18, 21, 24];

// ---------------------------------------------------------------------------
// Keyring

/** Opens (without creating anything on disk) the keyring of one node home. */
export async function openKeyring(opts: OpenKeyringOptions): Promise<Keyring> {
  if (!KEYRING_BACKENDS.includes(opts.backend)) {
    throw new KeyringError(`unknown keyring backend "${String(opts.backend)}" (want test or file)`);
  }
  const dir = path.join(path.resolve(opts.home), `keyring-${opts.backend}`);
  const stat = await fs.stat(dir).catch((err: unknown) => {
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  });
  if (stat !== undefined && !stat.isDirectory()) {
    throw new KeyringCorruptError(`${dir} exists and is not a directory`);
  }
  return new Keyring(opts.backend, dir, opts.passphrase, opts.insecureTestScrypt === true);
}

interface Unlocked {
  readonly record: KeyRecord;
  readonly secret: PlainSecret;
  readonly privkey: Uint8Array;
}

export class Keyring {
  private passphrasePromise: Promise<string> | undefined;

  /** Use `openKeyring`. */
  constructor(
    readonly backend: KeyringBackend,
    readonly dir: string,
    private readonly passphraseSource: (() => Promise<string>) | undefined,
    private readonly insecureTestScrypt = false,
  ) {}

  /** Creates a key from `mnemonic`, or from a fresh 24-word mnemonic, which is returned. */
  async add(name: string, opts: { mnemonic?: string; overwrite?: boolean } = {}): Promise<{ info: KeyInfo; mnemonic: string }> {
    assertKeyName(name);
    const mnemonic =
      opts.mnemonic === undefined ? Bip39.encode(Random.getBytes(32)).toString() : normalizeMnemonic(opts.mnemonic);
    const privkey = await privkeyFromMnemonic(mnemonic, HD_PATH);
    const info = await this.store(name, { kind: "mnemonic", mnemonic }, privkey, HD_PATH, opts.overwrite === true);
    return { info, mnemonic };
  }

  /** Stores a raw 32-byte private key (hex or bytes); it has no mnemonic or HD path. */
  async importPrivateKey(name: string, privkey: string | Uint8Array, opts: { overwrite?: boolean } = {}): Promise<KeyInfo> {
    assertKeyName(name);
    const bytes = typeof privkey === "string" ? parsePrivateKeyHex(privkey) : Uint8Array.from(privkey);
    const privateKeyHex = toHex(bytes);
    return this.store(name, { kind: "privateKey", privateKeyHex }, bytes, null, opts.overwrite === true);
  }

  /** All keys, sorted by name (byte order). */
  async list(): Promise<KeyInfo[]> {
    const records = await this.readAll();
    return records.map(toKeyInfo);
  }

  async show(nameOrAddress: string): Promise<KeyInfo> {
    if (KEY_NAME_RE.test(nameOrAddress)) {
      const record = await this.read(nameOrAddress);
      if (record !== undefined) return toKeyInfo(record);
    }
    if (nameOrAddress.startsWith(`${ADDRESS_PREFIX}1`)) {
      const match = (await this.readAll()).find((r) => r.address === nameOrAddress);
      if (match !== undefined) return toKeyInfo(match);
    }
    throw new KeyNotFoundError(nameOrAddress, this.where());
  }

  async exportPrivateKeyHex(name: string): Promise<string> {
    return toHex((await this.unlock(name)).privkey);
  }

  /** The mnemonic, or undefined for a key imported from a raw private key. */
  async exportMnemonic(name: string): Promise<string | undefined> {
    const { secret } = await this.unlock(name);
    return secret.kind === "mnemonic" ? secret.mnemonic : undefined;
  }

  async privateKey(name: string): Promise<Uint8Array> {
    return (await this.unlock(name)).privkey;
  }

  /** A CosmJS signer (SIGN_MODE_DIRECT) for SigningStargateClient, addresses prefixed `infer`. */
  async signer(name: string): Promise<OfflineDirectSigner> {
    return DirectSecp256k1Wallet.fromKey((await this.unlock(name)).privkey, ADDRESS_PREFIX);
  }

  async delete(name: string): Promise<void> {
    assertKeyName(name);
    try {
      await fs.unlink(this.file(name));
    } catch (err) {
      if (isErrno(err, "ENOENT")) throw new KeyNotFoundError(name, this.where());
      throw err;
    }
  }

  // -- internals ------------------------------------------------------------

  private async store(
    name: string,
    secret: PlainSecret,
    privkey: Uint8Array,
    hdPath: string | null,
    overwrite: boolean,
  ): Promise<KeyInfo> {
    const { pubkey, address } = publicPart(privkey);
    const existing = await this.readAll();
    if (!overwrite && existing.some((r) => r.name === name)) {
      throw new KeyExistsError(`key "${name}" already exists in ${this.where()} (use overwrite to replace it)`);
    }
    // Like the Cosmos SDK: one account, one name, so signing by address is unambiguous.
    const sameAddress = existing.find((r) => r.address === address && r.name !== name);
    if (sameAddress !== undefined) {
      throw new KeyExistsError(`address ${address} is already stored as key "${sameAddress.name}"`);
    }

    const header: RecordHeader = {
      version: this.backend === "file" ? 2 : 1,
      name,
      type: "local",
      algo: "secp256k1",
      address,
      pubkey: toBase64(pubkey),
      hdPath,
    };
    let stored: PlainSecret | SealedSecret = secret;
    if (this.backend === "file") {
      const passphrase = await this.passphrase();
      // One passphrase per keyring: a typo here must not seal a key nobody can open later.
      const witness = existing.find((r) => r.secret.kind === "sealed");
      if (witness !== undefined) await this.openSecret(witness);
      stored = await seal(secret, passphrase, header, this.sealParams());
    }
    const record: KeyRecord = { ...header, secret: stored };
    await this.write(record);
    return toKeyInfo(record);
  }

  private sealParams(): ScryptParams {
    return this.insecureTestScrypt ? SCRYPT_TEST : SCRYPT_DEFAULTS;
  }

  private async unlock(name: string): Promise<Unlocked> {
    assertKeyName(name);
    const record = await this.read(name);
    if (record === undefined) throw new KeyNotFoundError(name, this.where());
    const secret = await this.openSecret(record);
    let privkey: Uint8Array;
    if (secret.kind === "mnemonic") {
      if (record.hdPath === null) throw new KeyringCorruptError(`${this.file(name)}: mnemonic key without hdPath`);
      privkey = await privkeyFromMnemonic(secret.mnemonic, record.hdPath);
    } else {
      privkey = parsePrivateKeyHex(secret.privateKeyHex);
    }
    // The public fields are stored in clear next to the secret; refuse to sign with a
    // key whose secret does not belong to the address the user sees.
    if (publicPart(privkey).address !== record.address) {
      throw new KeyringCorruptError(`${this.file(name)}: secret does not match address ${record.address}`);
    }
    return { record, secret, privkey };
  }

  /** Unseals a file-backend secret; a version 1 file is re-sealed as version 2 once it opened. */
  private async openSecret(record: KeyRecord): Promise<PlainSecret> {
    if (record.secret.kind !== "sealed") return record.secret;
    const file = this.file(record.name);
    const floor = this.insecureTestScrypt ? SCRYPT_TEST : record.version === 1 ? SCRYPT_FLOOR_V1 : SCRYPT_FLOOR;
    const { n, r, p } = record.secret.kdfParams;
    if (n < floor.n || r < floor.r || p < floor.p) {
      throw new WeakKeyFileError(
        `${file}: scrypt parameters N=${n} r=${r} p=${p} are below the floor for version ${record.version} files ` +
          `(N ≥ ${floor.n}, r ≥ ${floor.r}, p ≥ ${floor.p}): such a file is cheap to brute-force, so it is not opened. ` +
          `If you wrote it, re-import the key from its mnemonic (inferd keys add ${record.name} --recover --keyring-backend file) and delete this file.`,
      );
    }
    const passphrase = await this.passphrase();
    const secret = await unseal(record.secret, passphrase, this.where(), file, record.version === 1 ? undefined : headerOf(record));
    if (record.version === 1) {
      const header: RecordHeader = { ...headerOf(record), version: 2 };
      await this.write({ ...header, secret: await seal(secret, passphrase, header, this.sealParams()) });
    }
    return secret;
  }

  private passphrase(): Promise<string> {
    if (this.passphrasePromise === undefined) {
      const source = this.passphraseSource;
      if (source === undefined) {
        return Promise.reject(new PassphraseRequiredError(`the file keyring backend needs a passphrase (${this.dir})`));
      }
      this.passphrasePromise = source().then((p) => {
        if (p.length === 0) throw new PassphraseRequiredError("keyring passphrase must not be empty");
        return p;
      });
    }
    return this.passphrasePromise;
  }

  private where(): string {
    return `the ${this.backend} keyring (${this.dir})`;
  }

  private file(name: string): string {
    return path.join(this.dir, `${name}.json`);
  }

  private async read(name: string): Promise<KeyRecord | undefined> {
    const file = this.file(name);
    let text: string;
    try {
      text = await fs.readFile(file, "utf8");
    } catch (err) {
      if (isErrno(err, "ENOENT")) return undefined;
      throw err;
    }
    return parseRecord(text, file, name, this.backend);
  }

  private async readAll(): Promise<KeyRecord[]> {
    let entries: string[];
    try {
      entries = await fs.readdir(this.dir);
    } catch (err) {
      if (isErrno(err, "ENOENT")) return [];
      throw err;
    }
    const names = entries
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -".json".length))
      .filter((n) => KEY_NAME_RE.test(n))
      .sort(byteOrder);
    const records: KeyRecord[] = [];
    for (const name of names) {
      const record = await this.read(name);
      if (record !== undefined) records.push(record);
    }
    return records;
  }

  /** Write-then-rename, so a crash never leaves a half-written key file. */
  private async write(record: KeyRecord): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await fs.chmod(this.dir, 0o700);
    const tmp = path.join(this.dir, `.${record.name}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      await fs.writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: "wx" });
      await fs.rename(tmp, this.file(record.name));
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }
}

// ---------------------------------------------------------------------------
// Key material (all CosmJS)

function normalizeMnemonic(input: string): string {
  const words = input.trim().toLowerCase().split(/\s+/).filter((w) => w.length > 0);
  if (!MNEMONIC_WORD_COUNTS.includes(words.length)) {
    throw new InvalidMnemonicError(`invalid mnemonic: expected 12, 15, 18, 21 or 24 words, got ${words.length}`);
  }
  const wordlist = new Set(EnglishMnemonic.wordlist);
  // Positions, not words: the rest of the phrase is secret and errors end up in logs.
  const unknown = words.flatMap((w, i) => (wordlist.has(w) ? [] : [i + 1]));
  if (unknown.length > 0) {
    throw new InvalidMnemonicError(`invalid mnemonic: word(s) ${unknown.join(", ")} not in the BIP-39 English word list`);
  }
  const mnemonic = words.join(" ");
  try {
    new EnglishMnemonic(mnemonic);
  } catch (err) {
    throw new InvalidMnemonicError("invalid mnemonic: checksum does not match", { cause: err });
  }
  return mnemonic;
}

/**
 * BIP-39's seed is PBKDF2-HMAC-SHA512 of the NFKD mnemonic, salt "mnemonic", 2048 rounds: the
 * bytes of CosmJS's Bip39.mnemonicToSeed, from OpenSSL instead of pure JS (that was ~50 ms of
 * every signing command's start-up; issue 12). Then SLIP-10, as CosmJS derives it.
 */
async function privkeyFromMnemonic(mnemonic: string, hdPath: string): Promise<Uint8Array> {
  const words = new EnglishMnemonic(mnemonic).toString().normalize("NFKD");
  const seed = await new Promise<Buffer>((resolve, reject) => {
    pbkdf2(words, "mnemonic", 2048, 64, "sha512", (err, key) => (err ? reject(err) : resolve(key)));
  });
  return Slip10.derivePath(Slip10Curve.Secp256k1, new Uint8Array(seed), stringToPath(hdPath)).privkey;
}

function parsePrivateKeyHex(hex: string): Uint8Array {
  const clean = hex.trim().replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(clean)) {
    throw new InvalidPrivateKeyError("private key must be 32 bytes of hex (64 hex digits)");
  }
  return fromHex(clean);
}

function publicPart(privkey: Uint8Array): { pubkey: Uint8Array; address: string } {
  let uncompressed: Uint8Array;
  try {
    uncompressed = Secp256k1.makeKeypair(privkey).pubkey;
  } catch (err) {
    throw new InvalidPrivateKeyError("not a valid secp256k1 private key", { cause: err });
  }
  const pubkey = Secp256k1.compressPubkey(uncompressed);
  return { pubkey, address: toBech32(ADDRESS_PREFIX, rawSecp256k1PubkeyToRawAddress(pubkey)) };
}

function toKeyInfo(record: KeyRecord): KeyInfo {
  return {
    name: record.name,
    type: "local",
    address: record.address,
    pubkey: record.pubkey,
    pubkeyAny: { "@type": SECP256K1_PUBKEY_TYPE_URL, key: record.pubkey },
  };
}

// ---------------------------------------------------------------------------
// Sealing (file backend)

function deriveKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes (plus 128·r·p); parameters are bounded at parse time.
  const maxmem = 128 * params.n * params.r + 128 * params.r * params.p + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize("NFKC"), salt, 32, { N: params.n, r: params.r, p: params.p, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Everything in a record but its secret. */
type RecordHeader = Omit<KeyRecord, "secret">;

function headerOf(r: KeyRecord): RecordHeader {
  return { version: r.version, name: r.name, type: r.type, algo: r.algo, address: r.address, pubkey: r.pubkey, hdPath: r.hdPath };
}

/**
 * The associated data of a version 2 file: the record header and every sealing field but the
 * ciphertext and tag, in a fixed order (a JSON array, so field boundaries are unambiguous).
 */
function associatedData(h: RecordHeader, s: Omit<SealedSecret, "ciphertext" | "tag">): Buffer {
  const fields = [AAD_TAG, h.version, h.name, h.type, h.algo, h.address, h.pubkey, h.hdPath, s.kind, s.kdf, s.kdfParams.n, s.kdfParams.r, s.kdfParams.p, s.kdfParams.salt, s.cipher, s.nonce];
  return Buffer.from(JSON.stringify(fields), "utf8");
}

async function seal(secret: PlainSecret, passphrase: string, header: RecordHeader, params: ScryptParams): Promise<SealedSecret> {
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const key = await deriveKey(passphrase, salt, params);
  const head: Omit<SealedSecret, "ciphertext" | "tag"> = {
    kind: "sealed",
    kdf: "scrypt",
    kdfParams: { n: params.n, r: params.r, p: params.p, salt: salt.toString("base64") },
    cipher: "aes-256-gcm",
    nonce: nonce.toString("base64"),
  };
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(associatedData(header, head));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(secret), "utf8"), cipher.final()]);
  return { ...head, ciphertext: ciphertext.toString("base64"), tag: cipher.getAuthTag().toString("base64") };
}

/** `header` undefined: a version 1 file, sealed without associated data. */
async function unseal(sealed: SealedSecret, passphrase: string, where: string, file: string, header: RecordHeader | undefined): Promise<PlainSecret> {
  const key = await deriveKey(passphrase, Buffer.from(sealed.kdfParams.salt, "base64"), sealed.kdfParams);
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.nonce, "base64"));
  decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
  if (header !== undefined) decipher.setAAD(associatedData(header, sealed));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, "base64")), decipher.final()]);
  } catch {
    // GCM cannot tell a wrong key from a modified ciphertext or header; a wrong passphrase
    // is by far the likelier cause.
    throw new WrongPassphraseError(where, header !== undefined);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(plain.toString("utf8"));
  } catch (err) {
    throw new KeyringCorruptError(`${file}: sealed secret is not JSON`, { cause: err });
  }
  const secret = parsePlainSecret(parsed);
  if (secret === undefined) throw new KeyringCorruptError(`${file}: sealed secret has an unknown shape`);
  return secret;
}

// ---------------------------------------------------------------------------
// Parsing key files (checked at the edge; the rest of the file trusts KeyRecord)

function parseRecord(text: string, file: string, expectedName: string, backend: KeyringBackend): KeyRecord {
  const bad = (why: string): KeyringCorruptError => new KeyringCorruptError(`${file}: ${why}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new KeyringCorruptError(`${file}: not JSON`, { cause: err });
  }
  if (!isObject(raw)) throw bad("not a JSON object");
  if (raw.version !== 1 && raw.version !== 2) throw bad(`unsupported version ${JSON.stringify(raw.version)}`);
  if (raw.version === 2 && backend !== "file") throw bad("version 2 records are sealed (file backend only)");
  if (raw.name !== expectedName) throw bad(`name ${JSON.stringify(raw.name)} does not match the file name`);
  if (raw.type !== "local" || raw.algo !== "secp256k1") throw bad("only local secp256k1 keys are supported");
  if (typeof raw.address !== "string" || !isAccountAddress(raw.address)) throw bad("bad address");
  if (typeof raw.pubkey !== "string" || !isCompressedPubkeyBase64(raw.pubkey)) throw bad("bad pubkey");
  if (raw.hdPath !== null && typeof raw.hdPath !== "string") throw bad("bad hdPath");

  let secret: PlainSecret | SealedSecret | undefined;
  if (backend === "file") {
    secret = parseSealedSecret(raw.secret);
    if (secret === undefined) throw bad("secret is not sealed (file backend)");
  } else {
    secret = parsePlainSecret(raw.secret);
    if (secret === undefined) throw bad("secret has an unknown shape (test backend)");
  }
  return {
    version: raw.version,
    name: raw.name,
    type: "local",
    algo: "secp256k1",
    address: raw.address,
    pubkey: raw.pubkey,
    hdPath: raw.hdPath,
    secret,
  };
}

function parsePlainSecret(raw: unknown): PlainSecret | undefined {
  if (!isObject(raw)) return undefined;
  if (raw.kind === "mnemonic" && typeof raw.mnemonic === "string") return { kind: "mnemonic", mnemonic: raw.mnemonic };
  if (raw.kind === "privateKey" && typeof raw.privateKeyHex === "string") {
    return { kind: "privateKey", privateKeyHex: raw.privateKeyHex };
  }
  return undefined;
}

function parseSealedSecret(raw: unknown): SealedSecret | undefined {
  if (!isObject(raw) || raw.kind !== "sealed" || raw.kdf !== "scrypt" || raw.cipher !== "aes-256-gcm") return undefined;
  const kp = raw.kdfParams;
  if (!isObject(kp) || typeof kp.salt !== "string") return undefined;
  const { n, r, p } = kp;
  if (!isPositiveInt(n) || !isPositiveInt(r) || !isPositiveInt(p)) return undefined;
  if (n < 2 || n > SCRYPT_MAX_N || (n & (n - 1)) !== 0 || r > 32 || p > 16 || 128 * n * r > SCRYPT_MAX_MEM) return undefined;
  if (typeof raw.nonce !== "string" || typeof raw.ciphertext !== "string" || typeof raw.tag !== "string") return undefined;
  if (Buffer.from(raw.nonce, "base64").length !== 12 || Buffer.from(raw.tag, "base64").length !== 16) return undefined;
  return {
    kind: "sealed",
    kdf: "scrypt",
    kdfParams: { n, r, p, salt: kp.salt },
    cipher: "aes-256-gcm",
    nonce: raw.nonce,
    ciphertext: raw.ciphertext,
    tag: raw.tag,
  };
}

function isAccountAddress(s: string): boolean {
  try {
    // Explicit limit: @cosmjs/encoding 0.39 defaults it to Infinity, which the installed
    // @scure/base 2.x rejects, so a bare fromBech32(s) throws for every input.
    const { prefix, data } = fromBech32(s, 90);
    return prefix === ADDRESS_PREFIX && data.length === 20;
  } catch {
    return false;
  }
}

function isCompressedPubkeyBase64(s: string): boolean {
  try {
    const bytes = fromBase64(s);
    return bytes.length === 33 && (bytes[0] === 2 || bytes[0] === 3);
  } catch {
    return false;
  }
}

function assertKeyName(name: string): void {
  // Names become file names: no separators, no dot-files, no surprises.
  if (!KEY_NAME_RE.test(name)) {
    throw new InvalidKeyNameError(
      `invalid key name ${JSON.stringify(name)}: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0;
}

// Duck-typed: errors from node:fs are not `instanceof Error` inside jest's VM realm.
function isErrno(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as NodeJS.ErrnoException).code === code;
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------
// Reading secrets from the terminal or a pipe

export type PromptInput = Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

export interface PromptIO {
  readonly input: PromptInput;
  /** Prompts go here (stderr by default) so stdout stays clean for command output. */
  readonly output: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
}

function defaultPromptIO(): PromptIO {
  return { input: process.stdin, output: process.stderr, env: process.env };
}

/**
 * The keyring passphrase: from $INFERD_KEYRING_PASSPHRASE when set, else typed on a
 * TTY with echo off, else the next line of piped stdin.
 */
export async function readPassphraseFromStdin(prompt: string, io: PromptIO = defaultPromptIO()): Promise<string> {
  const fromEnv = io.env[PASSPHRASE_ENV];
  if (fromEnv !== undefined) return fromEnv;
  if (io.input.isTTY === true && typeof io.input.setRawMode === "function") {
    return readHiddenLine(io.input, io.output, prompt);
  }
  const line = await lineReaderFor(io.input).next();
  if (line === undefined) throw new StdinClosedError("stdin closed before a passphrase was read");
  return line;
}

/** A mnemonic for `keys add --recover`: the next non-empty line of stdin. */
export async function readMnemonicFromStdin(io: PromptIO = defaultPromptIO()): Promise<string> {
  if (io.input.isTTY === true) io.output.write("> Enter your bip39 mnemonic\n");
  const reader = lineReaderFor(io.input);
  for (;;) {
    const line = await reader.next();
    if (line === undefined) throw new StdinClosedError("stdin closed before a mnemonic was read");
    if (line.trim().length > 0) return line.trim();
  }
}

/**
 * Line reads share one buffer per stream: piped input delivers several lines in one
 * chunk (mnemonic, then passphrase), and a second read must get what the first left.
 */
class LineReader {
  private buffered = "";
  private ended = false;
  private readonly decoder = new StringDecoder("utf8");

  constructor(private readonly input: Readable) {}

  async next(): Promise<string | undefined> {
    for (;;) {
      const nl = this.buffered.indexOf("\n");
      if (nl >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        return line.replace(/\r$/, "");
      }
      if (this.ended || this.input.readableEnded) {
        this.ended = true;
        if (this.buffered.length === 0) return undefined;
        const line = this.buffered;
        this.buffered = "";
        return line.replace(/\r$/, "");
      }
      await this.fill();
    }
  }

  private fill(): Promise<void> {
    const input = this.input;
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        input.off("data", onData);
        input.off("end", onEnd);
        input.off("error", onError);
        // Paused, stdin no longer keeps the process alive.
        input.pause();
      };
      const onData = (chunk: Buffer | string): void => {
        this.buffered += typeof chunk === "string" ? chunk : this.decoder.write(chunk);
        cleanup();
        resolve();
      };
      const onEnd = (): void => {
        this.buffered += this.decoder.end();
        this.ended = true;
        cleanup();
        resolve();
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(err);
      };
      input.on("data", onData);
      input.on("end", onEnd);
      input.on("error", onError);
      input.resume();
    });
  }
}

const lineReaders = new WeakMap<Readable, LineReader>();

function lineReaderFor(input: Readable): LineReader {
  let reader = lineReaders.get(input);
  if (reader === undefined) {
    reader = new LineReader(input);
    lineReaders.set(input, reader);
  }
  return reader;
}

function readHiddenLine(input: PromptInput, output: Writable, prompt: string): Promise<string> {
  const setRaw = (on: boolean): void => {
    input.setRawMode?.(on);
  };
  output.write(prompt);
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder("utf8");
    let chars: string[] = [];
    const finish = (err?: Error): void => {
      input.off("data", onData);
      input.off("error", finish);
      setRaw(false);
      input.pause();
      output.write("\n");
      if (err === undefined) resolve(chars.join(""));
      else reject(err);
    };
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === "string" ? chunk : decoder.write(chunk);
      for (const ch of text) {
        if (ch === "\r" || ch === "\n") return finish();
        if (ch === "\u0003") return finish(new PromptAbortedError("passphrase entry aborted"));
        if (ch === "\u0004") {
          return chars.length === 0 ? finish(new StdinClosedError("stdin closed before a passphrase was read")) : finish();
        }
        if (ch === "\u007f" || ch === "\b") {
          chars = chars.slice(0, -1);
        } else if (ch >= " ") {
          chars.push(ch);
        }
      }
    };
    setRaw(true);
    input.on("data", onData);
    input.on("error", finish);
    input.resume();
  });
}

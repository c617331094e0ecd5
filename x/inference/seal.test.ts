import fc from "fast-check";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { parseAddress } from "../../base/types/address";
import { u64be } from "./assignment";
import {
  SALT_BYTES,
  SEAL_OVERHEAD,
  SealError,
  commitmentMatches,
  openSealedOutput,
  resultCommitment,
  sealMatches,
  sealOutput,
  sealedLength,
  sealedOutputProblem,
} from "./seal";
import { sampleOutput, testWorker } from "./testutil";

const key = (label: string): Uint8Array => sha256(utf8ToBytes(label));
const CLIENT = key("client");
const CLIENT_PUB = secp256k1.getPublicKey(CLIENT, true);
const OTHER = key("someone else");
const EPH = key("ephemeral");
const SALT = key("salt");
const WORKER = testWorker(1);
const OUTPUT = sampleOutput();

const flip = (b: Uint8Array, i: number): Uint8Array => {
  const c = Uint8Array.from(b);
  c[i] ^= 1;
  return c;
};

describe("resultCommitment", () => {
  test("is sha256 of the domain, the job id, the worker's 20 address bytes, the output and the salt", () => {
    const want = sha256(concatBytes(utf8ToBytes("infer/result"), u64be(7n), parseAddress(WORKER), OUTPUT, SALT));
    expect(Buffer.from(resultCommitment(7n, WORKER, OUTPUT, SALT))).toEqual(Buffer.from(want));
  });

  test("binds the job id, the worker, the output and the salt", () => {
    const c = resultCommitment(7n, WORKER, OUTPUT, SALT);
    expect(commitmentMatches(c, 7n, WORKER, OUTPUT, SALT)).toBe(true);
    expect(commitmentMatches(c, 8n, WORKER, OUTPUT, SALT)).toBe(false);
    expect(commitmentMatches(c, 7n, testWorker(2), OUTPUT, SALT)).toBe(false);
    expect(commitmentMatches(c, 7n, WORKER, sampleOutput(1, 1n), SALT)).toBe(false);
    expect(commitmentMatches(c, 7n, WORKER, OUTPUT, flip(SALT, 31))).toBe(false);
    expect(commitmentMatches(c, 7n, WORKER, OUTPUT, SALT.subarray(1))).toBe(false);
  });

  test("a salt of another size is refused", () => {
    expect(() => resultCommitment(1n, WORKER, OUTPUT, new Uint8Array(31))).toThrow(SealError);
  });
});

describe("sealOutput / openSealedOutput", () => {
  test("eph_pub33 ‖ ciphertext ‖ tag; the right key opens it to output ‖ salt", () => {
    const sealed = sealOutput(7n, CLIENT_PUB, OUTPUT, SALT, EPH);
    expect(sealed.length).toBe(OUTPUT.length + SEAL_OVERHEAD);
    expect(BigInt(sealed.length)).toBe(sealedLength(BigInt(OUTPUT.length)));
    expect(Buffer.from(sealed.subarray(0, 33))).toEqual(Buffer.from(secp256k1.getPublicKey(EPH, true)));
    const opened = openSealedOutput(7n, sealed, CLIENT);
    expect(Buffer.from(opened.output)).toEqual(Buffer.from(OUTPUT));
    expect(Buffer.from(opened.salt)).toEqual(Buffer.from(SALT));
    // The output is not readable in the sealed bytes.
    expect(Buffer.from(sealed).includes(Buffer.from(OUTPUT))).toBe(false);
  });

  test("a cannot-run result (empty output) seals to exactly the overhead and opens to nothing", () => {
    const sealed = sealOutput(3n, CLIENT_PUB, new Uint8Array(), SALT, EPH);
    expect(sealed.length).toBe(SEAL_OVERHEAD);
    expect(openSealedOutput(3n, sealed, CLIENT).output.length).toBe(0);
  });

  test("a wrong key, another job id, a tampered ciphertext, tag or ephemeral key does not open", () => {
    const sealed = sealOutput(7n, CLIENT_PUB, OUTPUT, SALT, EPH);
    expect(() => openSealedOutput(7n, sealed, OTHER)).toThrow(SealError);
    expect(() => openSealedOutput(8n, sealed, CLIENT)).toThrow(SealError);
    expect(() => openSealedOutput(7n, flip(sealed, 40), CLIENT)).toThrow(SealError);
    expect(() => openSealedOutput(7n, flip(sealed, sealed.length - 1), CLIENT)).toThrow(SealError);
    // Another valid ephemeral public key in front of the same ciphertext.
    const swapped = concatBytes(secp256k1.getPublicKey(key("another ephemeral"), true), sealed.subarray(33));
    expect(() => openSealedOutput(7n, swapped, CLIENT)).toThrow(SealError);
    // A first byte that makes the ephemeral key no point at all.
    const broken = Uint8Array.from(sealed);
    broken[0] = 0x05;
    expect(() => openSealedOutput(7n, broken, CLIENT)).toThrow(/not a sealed output/);
    expect(() => openSealedOutput(7n, sealed.subarray(0, SEAL_OVERHEAD - 1), CLIENT)).toThrow(/not a sealed output/);
  });

  test("sealedOutputProblem: too short, or no compressed key's prefix in front", () => {
    const sealed = sealOutput(7n, CLIENT_PUB, OUTPUT, SALT, EPH);
    expect(sealedOutputProblem(sealed)).toBeUndefined();
    expect(sealedOutputProblem(sealed.subarray(0, 80))).toMatch(/80 bytes; a sealed output has at least 81/);
    expect(sealedOutputProblem(concatBytes(Uint8Array.of(4), sealed.subarray(1)))).toMatch(/does not start with a compressed secp256k1 public key/);
    // A prefix with an x that is on no point passes this cheap check; opening it fails.
    const offCurve = concatBytes(Uint8Array.of(2, ...new Uint8Array(32)), sealed.subarray(33));
    expect(sealedOutputProblem(offCurve)).toBeUndefined();
    expect(() => openSealedOutput(7n, offCurve, CLIENT)).toThrow(SealError);
  });

  test("refuses to seal to a key that is not a public key, or with a bad ephemeral key or salt", () => {
    expect(() => sealOutput(1n, new Uint8Array(33), OUTPUT, SALT, EPH)).toThrow(SealError);
    expect(() => sealOutput(1n, CLIENT_PUB, OUTPUT, SALT, new Uint8Array(32))).toThrow(SealError);
    expect(() => sealOutput(1n, CLIENT_PUB, OUTPUT, SALT, new Uint8Array(32).fill(0xff))).toThrow(SealError);
    expect(() => sealOutput(1n, CLIENT_PUB, OUTPUT, SALT.subarray(1), EPH)).toThrow(SealError);
  });
});

describe("sealMatches (the chain's re-encryption check of an opening)", () => {
  const sealed = sealOutput(7n, CLIENT_PUB, OUTPUT, SALT, EPH);

  test("accepts exactly the worker's sealed bytes", () => {
    expect(sealMatches(7n, CLIENT_PUB, sealed, OUTPUT, SALT, EPH)).toBe(true);
    for (const i of [0, 20, 33, 60, sealed.length - 1]) expect(sealMatches(7n, CLIENT_PUB, flip(sealed, i), OUTPUT, SALT, EPH)).toBe(false);
  });

  test("refuses another output, salt, ephemeral key, job id or client key", () => {
    expect(sealMatches(7n, CLIENT_PUB, sealed, sampleOutput(1, 1n), SALT, EPH)).toBe(false);
    expect(sealMatches(7n, CLIENT_PUB, sealed, OUTPUT, flip(SALT, 0), EPH)).toBe(false);
    expect(sealMatches(7n, CLIENT_PUB, sealed, OUTPUT, SALT, key("another ephemeral"))).toBe(false);
    expect(sealMatches(8n, CLIENT_PUB, sealed, OUTPUT, SALT, EPH)).toBe(false);
    expect(sealMatches(7n, secp256k1.getPublicKey(OTHER, true), sealed, OUTPUT, SALT, EPH)).toBe(false);
  });

  test("is false, not an exception, for arguments that are not keys or salts", () => {
    expect(sealMatches(7n, CLIENT_PUB, sealed, OUTPUT, SALT, new Uint8Array(32))).toBe(false);
    expect(sealMatches(7n, CLIENT_PUB, sealed, OUTPUT, SALT, new Uint8Array(5))).toBe(false);
    expect(sealMatches(7n, new Uint8Array(33), sealed, OUTPUT, SALT, EPH)).toBe(false);
    expect(sealMatches(7n, CLIENT_PUB, sealed, OUTPUT.subarray(1), SALT, EPH)).toBe(false);
  });
});

describe("property: any output round-trips and binds", () => {
  const secret = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => secp256k1.utils.isValidSecretKey(k));
  test("open(seal(x)) = x, the re-encryption check holds, and the commitment verifies", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: SALT_BYTES, maxLength: SALT_BYTES }),
        secret,
        secret,
        fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
        (output, salt, client, eph, jobId) => {
          const pub = secp256k1.getPublicKey(client, true);
          const sealed = sealOutput(jobId, pub, output, salt, eph);
          const opened = openSealedOutput(jobId, sealed, client);
          expect(Buffer.from(opened.output)).toEqual(Buffer.from(output));
          expect(Buffer.from(opened.salt)).toEqual(Buffer.from(salt));
          expect(sealMatches(jobId, pub, sealed, output, salt, eph)).toBe(true);
          expect(commitmentMatches(resultCommitment(jobId, WORKER, output, salt), jobId, WORKER, output, salt)).toBe(true);
          if (output.length > 0) expect(sealMatches(jobId, pub, sealed, flip(output, 0), salt, eph)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });
});

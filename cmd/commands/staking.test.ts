import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sha256 } from "@cosmjs/crypto";
import { fromBech32 } from "@cosmjs/encoding";
import { consAddressOf, formatDec, parseConsensusPubkey, parseDecFraction } from "./staking";
import { CliError } from "../../client/errors";

describe("commission decimals ↔ Cosmos Dec atomics", () => {
  test.each([
    ["0.10", "100000000000000000"],
    ["0.1", "100000000000000000"],
    [".05", "50000000000000000"],
    ["1", "1000000000000000000"],
    ["1.000", "1000000000000000000"],
    ["0", "0"],
    ["0.000001", "1000000000000"],
  ])("%s → %s", (dec, atomics) => {
    expect(parseDecFraction(dec, "rate")).toBe(atomics);
  });

  test.each(["1.01", "2", "0.0000001", "-0.1", "abc", "", ".", "0.1.2"])("%s is refused", (dec) => {
    expect(() => parseDecFraction(dec, "rate")).toThrow(CliError);
  });

  test("formatDec is Cosmos's 18-decimal JSON form", () => {
    expect(formatDec("100000000000000000")).toBe("0.100000000000000000");
    expect(formatDec("15000000000000000000000000")).toBe("15000000.000000000000000000");
    expect(formatDec("0")).toBe("0.000000000000000000");
    expect(formatDec("1")).toBe("0.000000000000000001");
  });
});

describe("--pubkey", () => {
  const key = new Uint8Array(32).map((_, i) => i + 1);
  const b64 = Buffer.from(key).toString("base64");

  test("base64, Cosmos JSON, CometBFT JSON and a priv_validator_key.json all give the key", () => {
    expect(parseConsensusPubkey(b64)).toEqual(key);
    expect(parseConsensusPubkey(JSON.stringify({ "@type": "/cosmos.crypto.ed25519.PubKey", key: b64 }))).toEqual(key);
    expect(parseConsensusPubkey(JSON.stringify({ type: "tendermint/PubKeyEd25519", value: b64 }))).toEqual(key);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-pubkey-"));
    try {
      const file = path.join(dir, "priv_validator_key.json");
      fs.writeFileSync(file, JSON.stringify({ address: "X", pub_key: { type: "tendermint/PubKeyEd25519", value: b64 }, priv_key: { type: "tendermint/PrivKeyEd25519", value: "…" } }));
      expect(parseConsensusPubkey(file)).toEqual(key);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("other key types and lengths are refused", () => {
    expect(() => parseConsensusPubkey(JSON.stringify({ "@type": "/cosmos.crypto.secp256k1.PubKey", key: b64 }))).toThrow(/only ed25519/);
    expect(() => parseConsensusPubkey(Buffer.from(key.slice(0, 31)).toString("base64"))).toThrow(/32 bytes/);
    expect(() => parseConsensusPubkey("not a key!")).toThrow(CliError);
    expect(() => parseConsensusPubkey("{not json")).toThrow(/not JSON/);
  });

  test("consensus address: infervalcons of sha256(pubkey)[:20], as CometBFT addresses validators", () => {
    const a = fromBech32(consAddressOf(key));
    expect(a.prefix).toBe("infervalcons");
    expect(a.data).toEqual(sha256(key).slice(0, 20));
  });
});

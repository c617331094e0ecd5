/**
 * The keyring as the CLI loads it, on first use (issue 12: CLI start-up): client/keyring, with
 * secp256k1's base-point table set to a 4-bit window first. @noble/curves (under CosmJS and the
 * keyring) builds an 8-bit table on its first multiplication, ~45 ms, which a long-lived signer
 * earns back; a command makes a handful (a key's SLIP-10 derivation and public key, a signature),
 * and the 4-bit table takes ~8 ms. Keys and signatures are the same either way. The sidecar
 * keeps the default: it signs for as long as it runs.
 */
let windowSet = false;

export function loadKeyring(): typeof import("../client/keyring") {
  if (!windowSet) {
    const { secp256k1 } = require("@noble/curves/secp256k1.js") as typeof import("@noble/curves/secp256k1.js");
    secp256k1.Point.BASE.precompute(4);
    windowSet = true;
  }
  return require("../client/keyring");
}

import { secp256k1 } from "@noble/curves/secp256k1.js";
import { verifySecp256k1 } from "./ante";

describe("verifySecp256k1 (OpenSSL)", () => {
  test("agrees with @noble/curves on valid, tampered and wrong-key signatures", () => {
    for (let i = 1; i <= 20; i++) {
      const priv = new Uint8Array(32).fill(i);
      const pub = secp256k1.getPublicKey(priv, true);
      const msg = new TextEncoder().encode(`message ${i}`);
      const sig = secp256k1.sign(msg, priv, { prehash: true, lowS: true });
      expect(verifySecp256k1(sig, msg, pub)).toBe(true);
      const tampered = Uint8Array.from(sig);
      tampered[10] ^= 1;
      expect(verifySecp256k1(tampered, msg, pub)).toBe(secp256k1.verify(tampered, msg, pub, { prehash: true, lowS: false }));
      expect(verifySecp256k1(tampered, msg, pub)).toBe(false);
      const other = secp256k1.getPublicKey(new Uint8Array(32).fill(i + 100), true);
      expect(verifySecp256k1(sig, msg, other)).toBe(false);
      expect(verifySecp256k1(sig, new TextEncoder().encode("other"), pub)).toBe(false);
    }
  });

  test("a key that is not a curve point fails verification instead of throwing", () => {
    const bogus = new Uint8Array(33).fill(7);
    bogus[0] = 2;
    expect(verifySecp256k1(new Uint8Array(64).fill(1), new Uint8Array([1]), bogus)).toBe(false);
  });
});

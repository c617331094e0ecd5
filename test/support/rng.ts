/** The tests' seeded PRNG is lib/rng.ts's mulberry32 (lib/ may not import test/, so it lives there). */
export { mulberry32 } from "../../lib/rng";

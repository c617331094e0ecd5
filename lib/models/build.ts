/**
 * Writes the models this project builds itself into models/ (scripts/build-models.sh runs the
 * compiled form). `--check` writes nothing and exits 1 if a committed file differs from what
 * the code builds (for CI).
 *
 *   node dist/lib/models/build.js [--check] [--out DIR]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { MLP_SHA256, defaultModelsDir } from "./builtin";
import { MLP_FILE, buildMlpOnnx } from "./mlp";
import { sha256Hex } from "./resolve";

export interface BuiltFile {
  readonly file: string;
  readonly sha256: string;
  readonly bytes: Uint8Array;
}

/** Every file the project builds, with the sha256 it must have. */
export function buildAll(): BuiltFile[] {
  const bytes = buildMlpOnnx();
  return [{ file: MLP_FILE, sha256: sha256Hex(bytes), bytes }];
}

function main(argv: readonly string[]): number {
  const check = argv.includes("--check");
  const outAt = argv.indexOf("--out");
  const dir = outAt >= 0 && argv[outAt + 1] ? path.resolve(argv[outAt + 1]) : defaultModelsDir();
  let ok = true;
  for (const f of buildAll()) {
    if (f.file === MLP_FILE && f.sha256 !== MLP_SHA256) {
      console.error(`${f.file}: builds to sha256 ${f.sha256} but lib/models/builtin.ts pins ${MLP_SHA256}; update the pin (a new model means a new genesis)`);
      ok = false;
    }
    const target = path.join(dir, f.file);
    if (check) {
      const have = fs.existsSync(target) ? sha256Hex(fs.readFileSync(target)) : "(missing)";
      if (have !== f.sha256) {
        console.error(`${target}: sha256 ${have}, the code builds ${f.sha256}; run scripts/build-models.sh`);
        ok = false;
      } else console.log(`${target}: up to date (${f.sha256})`);
    } else {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(target, f.bytes);
      console.log(`${target}: ${f.bytes.length} bytes, sha256 ${f.sha256}`);
    }
  }
  return ok ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

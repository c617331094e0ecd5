import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chooseExecutionProvider, cudaLibrariesMissing, fallbackMessage, parseExecutionProvider } from "./executionProvider";

describe("execution provider choice", () => {
  test("cpu is used as asked, without probing", async () => {
    const probe = jest.fn(async () => undefined);
    expect(await chooseExecutionProvider("cpu", probe)).toEqual({ requested: "cpu", used: "cpu" });
    expect(probe).not.toHaveBeenCalled();
  });

  test("cuda whose provider libraries are missing falls back to cpu, naming the files and how to get them", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ort-bin-"));
    try {
      const reason = cudaLibrariesMissing(dir);
      if (process.platform !== "linux") return; // the message differs elsewhere; linux is what CI runs
      expect(reason).toContain("libonnxruntime_providers_cuda.so");
      expect(reason).toContain("libonnxruntime_providers_shared.so");
      expect(reason).toContain("ONNXRUNTIME_NODE_INSTALL=cuda12");
      const probe = jest.fn(async () => undefined);
      const choice = await chooseExecutionProvider("cuda", probe, () => cudaLibrariesMissing(dir));
      expect(choice.used).toBe("cpu");
      expect(probe).not.toHaveBeenCalled();
      expect(fallbackMessage(choice)).toMatch(/^CUDA execution provider unavailable, falling back to CPU: .*libonnxruntime_providers_cuda\.so/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("cuda whose libraries are present is used when its session opens", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ort-bin-"));
    try {
      for (const f of ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"]) fs.writeFileSync(path.join(dir, f), "");
      if (process.platform === "linux") expect(cudaLibrariesMissing(dir)).toBeUndefined();
      const choice = await chooseExecutionProvider("cuda", async () => undefined, () => undefined);
      expect(choice).toEqual({ requested: "cuda", used: "cuda" });
      expect(fallbackMessage(choice)).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a provider whose session fails to open falls back with onnxruntime's first line as the reason", async () => {
    const choice = await chooseExecutionProvider("webgpu", async () => {
      throw new Error("/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 Failed to get a WebGPU adapter: No supported adapters\nmore");
    });
    expect(choice).toEqual({ requested: "webgpu", used: "cpu", fallbackReason: "Failed to get a WebGPU adapter: No supported adapters" });
    expect(fallbackMessage(choice)).toBe("WEBGPU execution provider unavailable, falling back to CPU: Failed to get a WebGPU adapter: No supported adapters");
  });

  test("parses the flag", () => {
    expect(parseExecutionProvider("CUDA")).toBe("cuda");
    expect(() => parseExecutionProvider("tpu")).toThrow(/cpu, cuda, webgpu/);
  });
});

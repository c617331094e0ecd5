import { SidecarMetrics, serveMetrics } from "./metrics";

describe("sidecar metrics", () => {
  test("counters, histogram, queue depth, provider info and the last-minute rate, served at /metrics", async () => {
    let now = 1_000_000;
    const m = new SidecarMetrics(() => now);
    for (let i = 0; i < 30; i++) m.observeInference("mlp-16x8", 0.002);
    now += 30_000;
    for (let i = 0; i < 30; i++) m.observeInference("mlp-16x8", 0.002);
    expect(m.lastMinuteRate()).toBe(1);
    now += 45_000; // the first 30 are now older than a minute
    expect(m.lastMinuteRate()).toBe(0.5);
    m.queueDepth.set(3);
    m.providerInfo.set({ requested: "cuda", provider: "cpu" }, 1);
    m.submitted.inc({ model: "mlp-16x8" });
    m.failed.inc({ model: "mlp-16x8", reason: "rejected" });

    const server = await serveMetrics(m, "127.0.0.1:0");
    try {
      const { port } = server.address() as { port: number };
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(body).toContain('inferchain_sidecar_inferences_total{model="mlp-16x8"} 60');
      expect(body).toContain("inferchain_sidecar_inferences_per_second 0.5");
      expect(body).toContain('inferchain_sidecar_inference_duration_seconds_count{model="mlp-16x8"} 60');
      expect(body).toContain("inferchain_sidecar_queue_depth 3");
      expect(body).toContain('inferchain_sidecar_execution_provider_info{requested="cuda",provider="cpu"} 1');
      expect(body).toContain('inferchain_sidecar_results_submitted_total{model="mlp-16x8"} 1');
      expect(body).toContain('inferchain_sidecar_results_failed_total{model="mlp-16x8",reason="rejected"} 1');
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

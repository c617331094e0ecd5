/**
 * The sidecar's Prometheus metrics (prom-client, its own registry), served at
 * http://<--metrics-address>/metrics. Rates are for Prometheus to compute
 * (`rate(inferchain_sidecar_inferences_total[1m])`); the last-minute rate is also a gauge for
 * a quick look without a Prometheus.
 */
import type http from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { serveRegistry } from "../lib/metricsServer";

export class SidecarMetrics {
  readonly registry = new Registry();
  readonly inferences: Counter<"model">;
  readonly inferenceSeconds: Histogram<"model">;
  readonly queueDepth: Gauge;
  readonly submitted: Counter<"model">;
  readonly confirmed: Counter<"model">;
  readonly failed: Counter<"model" | "reason">;
  readonly providerInfo: Gauge<"requested" | "provider">;
  readonly height: Gauge;
  readonly connected: Gauge;
  readonly reconnects: Counter;
  readonly verificationsCommitted: Counter<"model">;
  readonly verificationsRevealed: Counter<"model">;
  readonly verificationsFailed: Counter<"reason">;
  readonly disputesSeen: Counter<"role">;
  readonly openings: Counter<"outcome">;
  readonly dataProvided: Counter;
  readonly dataServed: Counter<"found">;
  private readonly recent: number[] = [];

  constructor(private readonly now: () => number = () => Date.now()) {
    const registers = [this.registry];
    this.inferences = new Counter({ name: "inferchain_sidecar_inferences_total", help: "Model runs for jobs (fault modes included)", labelNames: ["model"], registers });
    const rate = (): number => this.lastMinuteRate();
    new Gauge({
      name: "inferchain_sidecar_inferences_per_second",
      help: "Inferences per second over the last minute",
      registers,
      // Recomputed at scrape time from the timestamps of the last minute's runs.
      collect() {
        this.set(rate());
      },
    });
    this.inferenceSeconds = new Histogram({
      name: "inferchain_sidecar_inference_duration_seconds",
      help: "Job pipeline time: decode, dequantize, onnxruntime run, quantize, encode",
      labelNames: ["model"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.queueDepth = new Gauge({ name: "inferchain_sidecar_queue_depth", help: "Assigned jobs waiting to run", registers });
    this.submitted = new Counter({ name: "inferchain_sidecar_results_submitted_total", help: "MsgSubmitResult txs accepted into the mempool", labelNames: ["model"], registers });
    this.confirmed = new Counter({ name: "inferchain_sidecar_results_confirmed_total", help: "MsgSubmitResult txs that succeeded in a block", labelNames: ["model"], registers });
    this.failed = new Counter({
      name: "inferchain_sidecar_results_failed_total",
      help: "Jobs whose result did not land: reason = cannot_run (the runtime refused the input or its output; a cannot-run result is posted), rejected (CheckTx), tx_failed (in a block), broadcast (RPC error)",
      labelNames: ["model", "reason"],
      registers,
    });
    this.providerInfo = new Gauge({ name: "inferchain_sidecar_execution_provider_info", help: "1 for the onnxruntime execution provider in use", labelNames: ["requested", "provider"], registers });
    this.height = new Gauge({ name: "inferchain_sidecar_last_block_height", help: "Height of the last block seen", registers });
    this.connected = new Gauge({ name: "inferchain_sidecar_connected", help: "1 while subscribed to the node's events", registers });
    this.reconnects = new Counter({ name: "inferchain_sidecar_reconnects_total", help: "Websocket reconnections", registers });
    this.verificationsCommitted = new Counter({ name: "inferchain_sidecar_verifications_committed_total", help: "MsgCommitVerification txs that succeeded in a block", labelNames: ["model"], registers });
    this.verificationsRevealed = new Counter({ name: "inferchain_sidecar_verifications_revealed_total", help: "MsgRevealVerification txs that succeeded in a block", labelNames: ["model"], registers });
    this.verificationsFailed = new Counter({
      name: "inferchain_sidecar_verifications_failed_total",
      help: "Verifications not made: reason = missed_commit, missed_reveal (the phase ended first), no_model, input_uri, no_job, no_record (no saved reveal for a commitment on chain), rejected (CheckTx or simulation), broadcast (RPC), tx_failed (in a block)",
      labelNames: ["reason"],
      registers,
    });
    this.disputesSeen = new Counter({ name: "inferchain_sidecar_disputes_seen_total", help: "Disputes this sidecar takes part in: role = verifier (drawn) or worker (its own result)", labelNames: ["role"], registers });
    this.openings = new Counter({ name: "inferchain_sidecar_openings_total", help: "Openings of its own sealed results a dispute asked for: outcome = sent or failed", labelNames: ["outcome"], registers });
    this.dataProvided = new Counter({ name: "inferchain_sidecar_data_provided_total", help: "MsgProvideData txs sent answering data requests for its own jobs", registers });
    this.dataServed = new Counter({ name: "inferchain_sidecar_data_requests_served_total", help: "GET /data/<sha256> on the data server: found = whether it held the bytes", labelNames: ["found"], registers });
    collectDefaultMetrics({ register: this.registry, prefix: "inferchain_sidecar_" });
  }

  /** One finished model run of `seconds`. */
  observeInference(model: string, seconds: number): void {
    this.inferences.inc({ model });
    this.inferenceSeconds.observe({ model }, seconds);
    this.recent.push(this.now());
  }

  lastMinuteRate(): number {
    const cutoff = this.now() - 60_000;
    let i = 0;
    while (i < this.recent.length && this.recent[i] < cutoff) i++;
    this.recent.splice(0, i);
    return this.recent.length / 60;
  }
}

/** Serves GET /metrics on host:port; resolves once listening. */
export function serveMetrics(metrics: SidecarMetrics, address: string): Promise<http.Server> {
  return serveRegistry(metrics.registry, address, "--metrics-address");
}

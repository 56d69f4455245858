import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startTend } from "../src/app.ts";
import { loadConfig } from "../src/config/env.ts";
import { createHttpServer } from "../src/http/server.ts";
import { createLogger } from "../src/observability/logger.ts";
import { createMetrics } from "../src/observability/metrics.ts";

describe("Tend's HTTP server", () => {
  it("reports health and Prometheus metrics, then turns unhealthy while stopping", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "tend-http-"));
    const config = loadConfig({ TEND_DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" });
    const tend = await startTend({ config });
    try {
      const health = await fetch(`${tend.url}/healthz`);
      expect(health.status).toBe(200);
      const body = (await health.json()) as { status: string; database: { kind: string; ok: boolean; latencyMs: number } };
      expect(body.status).toBe("ok");
      expect(body.database).toMatchObject({ kind: "pglite", ok: true });
      expect(body.database.latencyMs).toBeGreaterThanOrEqual(0);

      const metrics = await fetch(`${tend.url}/metrics`);
      expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
      const text = await metrics.text();
      expect(text).toMatch(/tend_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
      expect(text).toMatch(/tend_database_up 1/);
      expect(text).toMatch(/tend_process_cpu_seconds_total/);
    } finally {
      await tend.stop();
      await tend.stop();
    }
    await expect(fetch(`${tend.url}/healthz`)).rejects.toThrow();
  });

  it("finishes a request in flight when it closes, and takes no new ones", async () => {
    const app = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics() });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    app.get("/slow", async () => {
      await released;
      return { done: true };
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const { port } = app.server.address() as { port: number };
    const inFlight = fetch(`http://127.0.0.1:${port}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = app.close();
    const connect = new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.on("connect", () => socket.destroy() && resolve("connected"));
      socket.on("error", reject);
    });
    await expect(connect).rejects.toThrow(/ECONNREFUSED|ECONNRESET/);
    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    await closing;
  });

  it("refuses bodies over the limit with 413 and malformed JSON with 400", async () => {
    const app = createHttpServer({ logger: createLogger("silent"), metrics: createMetrics(), bodyLimitBytes: 1024 });
    app.post("/echo", async (request) => request.body);
    const big = await app.inject({ method: "POST", url: "/echo", payload: { text: "x".repeat(2000) } });
    expect(big.statusCode).toBe(413);
    const bad = await app.inject({ method: "POST", url: "/echo", headers: { "content-type": "application/json" }, payload: "{nope" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toHaveProperty("error");
    await app.close();
  });
});

import { describe, expect, it } from "vitest";
import { clientAddress } from "../adapters/web/client-address.ts";
import { loadConfig } from "../src/config/env.ts";

const request = (headers: Record<string, string | string[]>, remoteAddress = "192.0.2.9") =>
  ({ headers, socket: { remoteAddress } }) as unknown as Parameters<typeof clientAddress>[0];

describe("the web chat client's address", () => {
  it("is the connection's own unless a proxy header is configured", () => {
    expect(clientAddress(request({ "x-forwarded-for": "203.0.113.1" }), "off")).toBe("192.0.2.9");
  });

  it("is the last address of the configured header: earlier ones are the client's own words", () => {
    expect(clientAddress(request({ "x-forwarded-for": "10.0.0.1, 203.0.113.1,198.51.100.7" }), "x-forwarded-for")).toBe("198.51.100.7");
    expect(clientAddress(request({ "x-real-ip": "203.0.113.5" }), "x-real-ip")).toBe("203.0.113.5");
    expect(clientAddress(request({ "x-forwarded-for": ["10.0.0.1", "203.0.113.2"] }), "x-forwarded-for")).toBe("203.0.113.2");
  });

  it("falls back to the connection when the configured header is missing or empty", () => {
    expect(clientAddress(request({}), "x-forwarded-for")).toBe("192.0.2.9");
    expect(clientAddress(request({ "x-forwarded-for": " , " }), "x-forwarded-for")).toBe("192.0.2.9");
  });

  it("takes WEBCHAT_TRUST_PROXY as a header name in any case, or off, and refuses anything else", () => {
    expect(loadConfig({}).WEBCHAT_TRUST_PROXY).toBe("off");
    expect(loadConfig({ WEBCHAT_TRUST_PROXY: " X-Forwarded-For " }).WEBCHAT_TRUST_PROXY).toBe("x-forwarded-for");
    expect(() => loadConfig({ WEBCHAT_TRUST_PROXY: "x forwarded for" })).toThrow(/WEBCHAT_TRUST_PROXY must be the request header/);
  });
});

import type { FastifyRequest } from "fastify";

/**
 * The address a web chat request came from. With `trustedHeader` ("x-forwarded-for",
 * "x-real-ip", …) set, the reverse proxy in front of Tend is believed: the last address in that
 * header is the one the proxy saw (earlier entries are whatever the client chose to send). With
 * "off", or when the header is missing, the connection's own address counts.
 */
export function clientAddress(request: Pick<FastifyRequest, "headers" | "socket">, trustedHeader: string): string {
  const socketAddress = request.socket.remoteAddress ?? "unknown";
  if (trustedHeader === "off") return socketAddress;
  const value = request.headers[trustedHeader];
  const joined = Array.isArray(value) ? value.join(",") : value;
  const last = joined
    ?.split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .at(-1);
  return last ?? socketAddress;
}

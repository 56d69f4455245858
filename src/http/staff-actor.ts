import type { FastifyRequest } from "fastify";
import type { Actor } from "../staff/actor.ts";

export type { Actor };

/** Where the API's auth hook (src/http/api-routes.ts) leaves the caller's identity. */
const ACTOR = Symbol("tend.actor");

type WithActor = FastifyRequest & { [ACTOR]?: Actor };

/** Called by the API's auth hook once the bearer key named an actor. */
export function attachActor(request: FastifyRequest, actor: Actor): void {
  (request as WithActor)[ACTOR] = actor;
}

/**
 * Who is calling: the named API key's actor (or "TEND_API_KEY" for the legacy key). Every route
 * under /api runs after the auth hook, so there always is one there; anywhere else this throws,
 * which is a programming error, never a request's fault.
 */
export function actorOf(request: FastifyRequest): Actor {
  const actor = (request as WithActor)[ACTOR];
  if (!actor) throw new Error(`no staff actor on ${request.method} ${request.routeOptions.url ?? request.url}: the route is not behind the API's key check`);
  return actor;
}

/** The actor, or undefined outside the API (e.g. a route that is not behind the key check). */
export function maybeActorOf(request: FastifyRequest): Actor | undefined {
  return (request as WithActor)[ACTOR];
}

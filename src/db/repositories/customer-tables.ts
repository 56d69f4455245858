import type { Prisma } from "../generated/client.ts";

/**
 * The tables that hold a customer's data: every model with a `customer` relation. Export, erasure
 * and channel-linking merge each keep a registry typed `Record<CustomerTable, …>`, so a new model
 * tied to a customer does not compile until all three say how they handle it; and
 * test/customer-tables.test.ts compares those registries with the database's foreign keys to
 * "Customer", which also catches a relation under another name.
 */
export type CustomerTable = {
  [M in Prisma.ModelName]: "customer" extends keyof Prisma.TypeMap["model"][M]["payload"]["objects"] ? M : never;
}[Prisma.ModelName];

/**
 * Tend runs its process in UTC, whatever the machine's zone.
 *
 * Why: the embedded database's driver reads a `timestamp` column (Prisma's DateTime) as local time,
 * both through PGlite's own parsers and through Prisma's raw queries on the PGlite adapter, while
 * Tend writes them as UTC. On a machine set to Asia/Shanghai every such read came back eight hours
 * early (outbox due times, last orders, sessions). Tend never needs the machine's zone: customers'
 * times are computed in their own zone or the business default, explicitly. Imported first by the
 * command line's entry, so it applies before any query; Node re-reads TZ when it is assigned.
 */
process.env.TZ = "UTC";

export const PROCESS_TIME_ZONE = "UTC";

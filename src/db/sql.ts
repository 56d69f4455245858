/**
 * Plain SQL on one connection, for what Prisma's client does not do: running migration files
 * (many statements at once), advisory locks, and catalog queries. PGlite and node-postgres both
 * fit behind it, so the same code migrates either.
 */
export interface SqlSession {
  /** Runs a script of one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
}

export interface SqlConnection {
  /** Lends one connection for the callback's duration; session state (locks, BEGIN) stays on it. */
  withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
}

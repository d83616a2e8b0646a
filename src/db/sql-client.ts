/**
 * The one way to PostgreSQL: parameterised statements and transactions, nothing else. Only
 * src/db/ and the stores built on it (src/spend/, later src/keys/) hold SQL; the client library
 * stays behind this interface.
 */
export interface SqlQuery {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface SqlClient extends SqlQuery {
  /** Runs `work` in one transaction (BEGIN … COMMIT, ROLLBACK when it throws) on one connection. */
  transaction<T>(work: (tx: SqlQuery) => Promise<T>): Promise<T>;
  /** Closes the connections (waits at most `timeoutMs` for queries in flight). */
  end(timeoutMs?: number): Promise<void>;
}

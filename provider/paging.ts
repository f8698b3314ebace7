/**
 * NextToken paging, shared by every Describe/List call (ECS DescribeTerminalSessions, SSM
 * DescribeSessions). Guards against a service that repeats a token or never stops.
 */

/** One page of results. */
export interface Page<T> {
  /** The items on this page. */
  items: T[];
  /** The token for the next page; absent or empty on the last page. */
  nextToken?: string;
}

/** Paging limits. */
export interface PagingOptions {
  /** Stop after this many pages (default 100): a safety net, not a feature. */
  maxPages?: number;
}

/** Thrown when paging does not end (a repeated token, or too many pages). */
export class PagingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PagingError";
  }
}

/** Yields every item of every page, fetching pages lazily. */
export async function* paginate<T>(
  fetchPage: (nextToken: string | undefined) => Promise<Page<T>>,
  options: PagingOptions = {},
): AsyncGenerator<T> {
  const maxPages = options.maxPages ?? 100;
  const seen = new Set<string>();
  let token: string | undefined;
  for (let page = 1; ; page++) {
    const result = await fetchPage(token);
    yield* result.items;
    token = result.nextToken || undefined;
    if (token === undefined) return;
    if (seen.has(token)) throw new PagingError(`the service repeated the page token "${token}"`);
    if (page >= maxPages) throw new PagingError(`gave up after ${maxPages} pages`);
    seen.add(token);
  }
}

/** The first item matching `predicate`, reading only as many pages as needed. */
export async function findFirst<T>(
  fetchPage: (nextToken: string | undefined) => Promise<Page<T>>,
  predicate: (item: T) => boolean,
  options: PagingOptions = {},
): Promise<T | undefined> {
  for await (const item of paginate(fetchPage, options)) if (predicate(item)) return item;
  return undefined;
}

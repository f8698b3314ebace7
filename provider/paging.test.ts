import { findFirst, paginate, PagingError, type Page } from "./paging";

function pages(all: number[][]): (token?: string) => Promise<Page<number>> {
  return async (token) => {
    const index = token === undefined ? 0 : Number(token);
    return { items: all[index], nextToken: index + 1 < all.length ? String(index + 1) : undefined };
  };
}

async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

describe("paging", () => {
  test("yields every item of every page", async () => {
    expect(await collect(paginate(pages([[1, 2], [3], [], [4]])))).toEqual([1, 2, 3, 4]);
  });

  test("an empty NextToken ends paging", async () => {
    const fetch = jest.fn(async () => ({ items: [1], nextToken: "" }));
    expect(await collect(paginate(fetch))).toEqual([1]);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  test("findFirst reads only the pages it needs", async () => {
    const fetch = jest.fn(pages([[1, 2], [3, 4], [5]]));
    expect(await findFirst(fetch, (x) => x === 3)).toBe(3);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(await findFirst(pages([[1]]), (x) => x === 9)).toBeUndefined();
  });

  test("a repeated token or endless paging fails instead of looping", async () => {
    await expect(collect(paginate(async () => ({ items: [1], nextToken: "same" })))).rejects.toThrow(
      PagingError,
    );
    let n = 0;
    await expect(
      collect(paginate(async () => ({ items: [n], nextToken: String(++n) }), { maxPages: 5 })),
    ).rejects.toThrow(/gave up after 5 pages/);
  });
});

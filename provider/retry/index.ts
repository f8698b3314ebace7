/** Retries in three small parts: classify, backoff, loop. Waiters (polling) are elsewhere. */
export * from "./classify";
export * from "./backoff";
export * from "./loop";

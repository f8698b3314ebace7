/**
 * Node's compile cache (V8 code cache on disk) for the processes that run the providers: every
 * resource module imports this first, so it covers what loads after it.
 *
 * Most of a provider process's first check, create or delete is compiling modules: zod and the
 * schemas, the cloud SDKs, ours. With the cache a later process loads them in about half the
 * time. Node writes each entry as it compiles the module, so a provider process the engine
 * kills leaves its entries too. The directory is Node's default, the one tsc and eslint use as
 * well: `NODE_COMPILE_CACHE`, else `node-compile-cache` in the OS temp dir;
 * `NODE_DISABLE_COMPILE_CACHE=1` turns it off. A stale entry is never used (Node checks each
 * against the module's source).
 */
import * as nodeModule from "node:module";

// Node 22.0 has no such API: it goes without.
nodeModule.enableCompileCache?.();

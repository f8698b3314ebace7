/**
 * The base of every public resource class: a Pulumi dynamic resource whose `__provider` is a
 * one-statement module that loads the provider from this package by name.
 *
 * A dynamic resource is a custom resource of type `pulumi-nodejs:dynamic/<module>:<Type>`,
 * served by the Node.js dynamic provider that ships with the engine. That provider evaluates
 * the resource's `__provider` property as a CommonJS module (it is stored in state as both an
 * input and an output of every resource) and calls its `exports.handler()` to get the provider
 * object; destroy and refresh run the text stored in state.
 *
 * `pulumi.dynamic.Resource` writes that text by closure-serializing a provider object: even a
 * stub that only forwards to the package costs about 2.6 KB per copy (a wrapper per method),
 * twice per resource, rewritten into the checkpoint on every step of every deployment. The text
 * here is written directly, about 300 B, and always runs the installed version of the package,
 * which must therefore keep reading state written by older versions.
 *
 * Requirement: `pulumi-sessions` must resolve from the program's directory (the dynamic
 * provider process starts there), as it does after `npm install pulumi-sessions`.
 */
import * as pulumi from "@pulumi/pulumi";
import { dynamicType, PROVIDER_PROPERTY, URN_PROPERTY, type ResourceRow } from "../contract/resources";
import { RESOURCE_PROPERTIES } from "../schemaTypes";
import { assertCredentialsAreSecret } from "./credentialConfig";

/** The npm name the provider is loaded through (package.json `exports`: `./dist/*`). */
export const PACKAGE_NAME = "pulumi-sessions";

/** What a resource class tells its base: its catalog row, and what to do instead of `import`. */
export interface DynamicResourceKind {
  /** Token, provider module, secret outputs, whether `check` takes the URN. */
  row: ResourceRow;
  /** What to do instead of the `import` option (default: nothing to import, say so). */
  insteadOfImport?: string;
}

/**
 * Why the `import` option (and `pulumi import`) cannot work for these resources: the engine
 * reads an imported resource without its inputs, so the dynamic provider host has no
 * `__provider` module to load and fails with "code must be a string, not undefined".
 */
export function importRefusal(token: string, name: string, insteadOfImport: string | undefined): string {
  const type = token.replace(/^pulumi-nodejs:dynamic\//, "");
  return (
    `${type} "${name}": the import option cannot work for this package's resources (Pulumi dynamic ` +
    "resources: the engine reads an imported resource without the module its provider is loaded from). " +
    (insteadOfImport ?? "It records one run and has nothing to import: remove the option.")
  );
}

/**
 * The `__provider` module text of a provider: `exports.handler` returns the provider object,
 * or says how to fix a package that is not installed where the program is.
 */
export function providerModuleSource(provider: ResourceRow["provider"]): string {
  const specifier = JSON.stringify(`${PACKAGE_NAME}/dist/${provider.modulePath}`);
  const hint = JSON.stringify(`install ${PACKAGE_NAME} where the program is (`);
  return (
    `exports.handler = () => { try { return require(${specifier})[${JSON.stringify(provider.exportName)}]; } ` +
    `catch (e) { if (e.code !== "MODULE_NOT_FOUND") throw e; ` +
    `throw new Error(${hint} + process.cwd() + "): " + e.message); } };\n`
  );
}

/** A dynamic resource of this package (see the module comment). */
export abstract class DynamicResource extends pulumi.CustomResource {
  protected constructor(
    kind: DynamicResourceKind,
    name: string,
    args: object,
    opts: pulumi.CustomResourceOptions,
  ) {
    // Before anything is registered: the engine would write plain-text credentials into state.
    assertCredentialsAreSecret();
    const { row } = kind;
    const token = dynamicType(row);
    if (opts.import !== undefined)
      throw new pulumi.RunError(importRefusal(token, name, kind.insteadOfImport));
    // Every property the class exposes needs a key, or the resource object gets no output for it
    // (e.g. `region`, which check fills in when unset).
    const props: Record<string, unknown> = {
      ...Object.fromEntries(RESOURCE_PROPERTIES[row.token].map((k) => [k, undefined])),
      ...args,
      [PROVIDER_PROPERTY]: providerModuleSource(row.provider),
    };
    if (row.takesUrn) props[URN_PROPERTY] = pulumi.createUrn(name, token, opts.parent);
    const { secretOutputs } = row;
    // The SDK formats a stack trace for each of the promises behind every output property
    // (kept for its leaked-promise report), and under ts-node each frame goes through a
    // source-map lookup: about a fifth of a second per 50 sessions of 25 outputs, on the
    // critical path of `pulumi up`. Output creation is synchronous inside the constructor, so
    // the limit is lowered for exactly that; the resource's own source position and stack
    // trace are unaffected (the SDK lifts the limit for them itself).
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(token, name, props, {
        ...opts,
        additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), ...secretOutputs],
      });
    } catch (err) {
      // Thrown while the limit was 0 (bad options, a transformation): give it the caller's stack.
      Error.stackTraceLimit = stackTraceLimit;
      if (err instanceof Error) Error.captureStackTrace(err, DynamicResource);
      throw err;
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
  }
}

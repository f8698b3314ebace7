/**
 * The provider object handed to `pulumi.dynamic.Resource`: a stub that loads the real
 * provider by package name inside the dynamic provider process.
 *
 * Pulumi serializes the provider object into state (`__provider`) for every resource and
 * runs that serialized code for every later operation, destroy and refresh included.
 * Serializing the real provider would capture its modules by value (zod schemas, clients,
 * retry code): large, and frozen at the version that created the resource. The stub is a
 * few hundred bytes and always runs the installed version of this package, which must
 * therefore keep reading state written by older versions.
 *
 * Requirement: `pulumi-sessions` must resolve from the program's directory (the dynamic
 * provider process starts there), as it does after `npm install pulumi-sessions`.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";

/** The npm name the stub loads the provider through (see package.json `exports`: `./dist/*`). */
export const PACKAGE_NAME = "pulumi-sessions";

/**
 * A serializable provider that forwards every call to `exportName` of
 * `pulumi-sessions/dist/<modulePath>` (e.g. `provider/resources/terminalSession`).
 */
export function providerStub(modulePath: string, exportName: string): dynamic.ResourceProvider {
  const specifier = `${PACKAGE_NAME}/dist/${modulePath}`;
  // Everything in `load` runs in the provider process and is stored in state with every
  // resource, comments included: so none inside it. It requires the package by name, resolved
  // from the program's directory, and says what to do when it is not installed there.
  const load = (): Required<dynamic.ResourceProvider> => {
    try {
      return require(specifier)[exportName];
    } catch (err) {
      if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
      throw new Error(`install pulumi-sessions where the program is (${process.cwd()}): ${err}`);
    }
  };
  return {
    configure: async (req) => load().configure(req),
    check: async (olds, news) => load().check(olds, news),
    diff: async (id, olds, news) => load().diff(id, olds, news),
    create: async (inputs) => load().create(inputs),
    read: async (id, props) => load().read(id, props),
    update: async (id, olds, news) => load().update(id, olds, news),
    delete: async (id, props) => load().delete(id, props),
  };
}

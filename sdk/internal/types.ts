/** Type helpers for the public resource classes. */
import type * as pulumi from "@pulumi/pulumi";

/**
 * `T` with every level accepting `pulumi.Input`: what resource args look like. Built from
 * the generated plain input types, so no field is written twice.
 */
export type DeepInput<T> = T extends readonly (infer U)[]
  ? pulumi.Input<DeepInput<U>[]>
  : T extends object
    ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>
    : pulumi.Input<T>;

/** Resource args from plain inputs: each field a {@link DeepInput}, optionality kept. */
export type ArgsOf<T> = { [K in keyof T]: DeepInput<T[K]> };

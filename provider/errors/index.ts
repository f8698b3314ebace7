/** Errors shared by the provider: one base per cloud, matched by `name`/`code`. */
export * from "./base";
export * from "./alicloud";
export * from "./aws";

// The module path every alicloudCommand in state stores in `__provider` (a contract with state).
export * from "./alicloudCommand/lifecycle";

// The module path every awsCommand in state stores in `__provider` (a contract with state).
export * from "./awsCommand/lifecycle";

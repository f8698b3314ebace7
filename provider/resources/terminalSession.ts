// The module path existing stacks store in `__provider` (a contract with state written by earlier versions).
export * from "./terminalSession/lifecycle";

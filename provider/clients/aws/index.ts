/** AWS Systems Manager: settings, the client, and one module per operation. */
export * from "./settings";
export * from "./client";
export * from "./startSession";
export * from "./describeSessions";
export * from "./terminateSession";

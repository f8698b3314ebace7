/** AWS Systems Manager: the client, and one module per operation. */
export * from "./client";
export * from "./startSession";
export * from "./describeSessions";
export * from "./terminateSession";
export * from "./resumeSession";

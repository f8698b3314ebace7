/** Alibaba Cloud: the RPC client and one module per operation. */
export * from "./client";
export * from "./startTerminalSession";
export * from "./describeTerminalSessions";
export * from "./endTerminalSession";
export * from "./createKillInstanceSessionTask";
export * from "./getKillInstanceSessionTaskResult";

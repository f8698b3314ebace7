/**
 * The wire protocols the local cloud speaks, tried in order: the first whose `matches` accepts a
 * request parses it. Add a protocol by appending it here.
 */
import { acsRpcProtocol } from "./acsRpc";
import { awsJsonProtocol } from "./awsJson";
import type { WireProtocol } from "./types";

export const protocols: WireProtocol[] = [acsRpcProtocol, awsJsonProtocol];

/**
 * Shapes and limits of ECS Session Manager (StartTerminalSession, DescribeTerminalSessions,
 * EndTerminalSession), as the API reference documents them.
 */

export const ECS_LIMITS = {
  /** "After this operation is invoked, the WebSocketUrl is valid for 10 minutes." */
  urlTtlMs: 10 * 60 * 1000,
  /** "Cloud Assistant closes the connection if no data is transmitted for 3 minutes." */
  idleTimeoutMs: 3 * 60 * 1000,
  /** "The bandwidth limit for a single session is 200 KB/s." */
  bandwidthBytesPerSec: 200 * 1024,
  /** "In a single region, a maximum of 100 sessions can be created and active." */
  maxActiveSessionsPerRegion: 100,
  /** "A maximum of 20 sessions can be in the connected state for a single ECS instance." */
  maxConnectedSessionsPerInstance: 20,
  /** "You can query the session records ... generated in the last four weeks." */
  retentionMs: 28 * 24 * 60 * 60 * 1000,
  /** "A maximum of 1 ECS instance can be specified. Valid values of N: 1." */
  maxInstances: 1,
  commandLineMax: 512,
  targetServerMax: 128,
  passwordNameMax: 255,
  clientTokenMax: 64,
  /** Not documented; the emulator's choice for `Username.ExceedLimit`. */
  usernameMax: 64,
  /**
   * Not documented; the emulator's bound on one session's connection records (port forwarding
   * opens one per TCP connection): past it the oldest closed record goes, so a session's record,
   * and the state file holding it, cannot grow without end.
   */
  maxConnectionRecordsPerSession: 100,
  describeDefaultResults: 10,
  describeMaxResults: 100,
  /** KMS key ids (`key-...`, UUIDs) and ARNs (`acs:kms:...`); the emulator's approximation. */
  kmsKeyIdPattern: /^[A-Za-z0-9:/_.-]{1,256}$/,
} as const;

/** Session Manager needs an agent later than this (Linux; the emulator models Linux only). */
export const SESSION_MANAGER_MIN_AGENT = "2.2.3.256";
/** End-to-end encryption's minimum agent: not documented; the emulator's choice. */
export const ENCRYPTION_MIN_AGENT = "2.4.3.0";

/**
 * Regions the emulator knows. Instances configured in other regions make those regions known too.
 */
export const KNOWN_REGIONS: ReadonlySet<string> = new Set([
  "cn-qingdao",
  "cn-beijing",
  "cn-zhangjiakou",
  "cn-huhehaote",
  "cn-wulanchabu",
  "cn-hangzhou",
  "cn-shanghai",
  "cn-nanjing",
  "cn-fuzhou",
  "cn-wuhan-lr",
  "cn-shenzhen",
  "cn-heyuan",
  "cn-guangzhou",
  "cn-chengdu",
  "cn-hongkong",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-southeast-1",
  "ap-southeast-3",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "us-east-1",
  "us-west-1",
  "eu-west-1",
  "eu-central-1",
  "me-east-1",
  "me-central-1",
]);

/**
 * Known regions where the emulator says Session Manager is not offered (`RegionId.ApiNotSupported`):
 * the local regions. The real list is not published; this one only makes the code reachable.
 */
export const UNSUPPORTED_REGIONS: ReadonlySet<string> = new Set(["cn-nanjing", "cn-fuzhou", "cn-wuhan-lr"]);

export type ConnectionType = "Internet" | "Intranet";

export interface EncryptionOptions {
  enabled: boolean;
  mode?: "Auto" | "Kms";
  kmsKeyId?: string;
}

export interface StartRequest {
  regionId: string;
  instanceIds: string[];
  portNumber?: number;
  commandLine?: string;
  targetServer?: string;
  username?: string;
  passwordName?: string;
  clientToken?: string;
  connectionType: ConnectionType;
  encryption?: EncryptionOptions;
}

export interface DescribeRequest {
  regionId: string;
  instanceId?: string;
  sessionId?: string;
  maxResults: number;
  nextToken?: string;
}

export interface EndRequest {
  regionId: string;
  sessionId: string;
}

/** `Connections.Connection[].Status` values. */
export type ConnectionStatus =
  "Connecting" | "Connected" | "Disconnected" | "Terminating" | "Terminated" | "Failed";

/** `Connections.Connection[].ClosedReason` values. */
export type ClosedReason =
  | "InstanceNotExists"
  | "InstanceNotRunning"
  | "DeliveryTimeout"
  | "AgentNeedUpgrade"
  | "AgentNotOnline"
  | "MessageFormatInvalid"
  | "AgentSocketClosed"
  | "ClientClosed";

/** One `Sessions.Session[]` item, field names and types as the API reference's sample. */
export interface SessionView {
  CreationTime: string;
  TargetServer?: string;
  PortNumber?: number;
  PrincipalId: string;
  Username?: string;
  ClientIP: string;
  IdentityType: "Account" | "RAMUser" | "AssumedRoleUser";
  SessionId: string;
  Connections: { Connection: ConnectionView[] };
}

export interface ConnectionView {
  ClosedReason?: string;
  EndTime?: string;
  Status: ConnectionStatus;
  StartTime: string;
  InstanceId: string;
}

/** `2024-01-19T09:15:46Z`: the API's timestamps carry no milliseconds. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Compares dotted versions numerically: -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

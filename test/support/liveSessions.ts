/** What the local cloud still considers live, as tests assert it after a command. */
import type { AdminClient } from "../../emulator/admin/client";

/** Every live session (ECS active, SSM not ending or ended) and running DAS kill task, as `<service> <id>`. */
export async function liveSessions(admin: AdminClient): Promise<string[]> {
  const state = (await admin.sessions()) as {
    ecs?: Array<{ sessionId: string; active: boolean }>;
    ssm?: Array<{ sessionId: string; status: string }>;
    das?: Array<{ taskId: string; state: string }>;
  };
  return [
    ...(state.ecs ?? []).filter((s) => s.active).map((s) => `ecs ${s.sessionId}`),
    ...(state.ssm ?? [])
      .filter((s) => !["Terminating", "Terminated", "Failed"].includes(s.status))
      .map((s) => `ssm ${s.sessionId}`),
    ...(state.das ?? []).filter((t) => t.state === "RUNNING").map((t) => `das ${t.taskId}`),
  ];
}

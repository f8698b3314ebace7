/** Starts clientHost.ts in its own node process and drives it: one call per client session. */
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { HostError, HostEvent, HostRequest } from "./clientHost";

type Op = HostRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

const CLOSE_MS = 1000;

export interface HostCall {
  id: number;
  /** The local port (forwards), or undefined (a channel); rejects when it settles first. */
  opened: Promise<number | undefined>;
  settled: Promise<{ ok: boolean; error?: HostError; detail?: unknown }>;
}

export interface ClientProcess {
  pid: number;
  call(op: Op): HostCall;
  close(call: HostCall): Promise<void>;
  /** Escaped throws reported since the last call to this (the process would have exited on each). */
  takeCrashes(): HostError[];
  alive(): boolean;
  stop(): Promise<void>;
}

export async function startClientProcess(): Promise<ClientProcess> {
  const child: ChildProcess = fork(join(__dirname, "clientHost.ts"), [], {
    execArgv: ["-r", require.resolve("../../../bench/register.js")],
    env: { ...process.env, ALIBABA_CLOUD_ECS_METADATA_DISABLED: "true", AWS_EC2_METADATA_DISABLED: "true" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });
  let nextId = 1;
  const crashes: HostError[] = [];
  const waiting = new Map<number, { opened(port?: number): void; settled(e: HostEvent): void }>();
  child.on("message", (e: HostEvent) => {
    if (e.event === "crash") return void crashes.push(e.error);
    const w = waiting.get(e.id);
    if (e.event === "opened") return w?.opened(e.port);
    waiting.delete(e.id);
    w?.settled(e);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const call = (op: Op): HostCall => {
    const id = nextId++;
    let opened!: (port?: number) => void;
    let notOpened!: (err: Error) => void;
    const openedP = new Promise<number | undefined>((resolve, reject) => {
      opened = resolve;
      notOpened = reject;
    });
    openedP.catch(() => undefined);
    const settled = new Promise<{ ok: boolean; error?: HostError; detail?: unknown }>((resolve) => {
      waiting.set(id, {
        opened,
        settled: (e) => {
          if (e.event !== "settled") return;
          notOpened(new Error(`${e.error?.name ?? "settled"}: ${e.error?.message ?? "ended"}`));
          resolve(e);
        },
      });
    });
    child.send({ id, ...op });
    return { id, opened: openedP, settled };
  };
  return {
    pid: child.pid!,
    call,
    // Bounded: closing a forward waits for its session's end, which a hostile far end may withhold.
    close: async (c) => {
      await Promise.race([
        call({ op: "close", target: c.id }).settled,
        new Promise((resolve) => setTimeout(resolve, CLOSE_MS).unref()),
      ]);
    },
    takeCrashes: () => crashes.splice(0),
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      child.kill();
      await exited;
    },
  };
}

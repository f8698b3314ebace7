/**
 * Accounts: a credential's `accountId` scopes SSM sessions and DAS kill tasks the way ECS
 * sessions are scoped (ecs.test.ts "accounts"). Another account's key neither lists, ends,
 * resumes nor reads them; a second key of the same account (a RAM/IAM user) does all of it.
 * Driven by the official SDKs: `@aws-sdk/client-ssm` and `@alicloud/openapi-core`.
 */
process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true";

import {
  DescribeSessionsCommand,
  ResumeSessionCommand,
  SSMClient,
  SSMServiceException,
  StartSessionCommand,
  TerminateSessionCommand,
} from "@aws-sdk/client-ssm";
import { startLocalCloud, type LocalCloud } from "../server";
import { callRpc, openApiClient } from "../testing/alibaba";

const ALICE = { accessKeyId: "AKIAALICE00000001", accessKeySecret: "alice", accountId: "111111111111" };
const ALICE_USER = {
  accessKeyId: "AKIAALICEUSER0001",
  accessKeySecret: "alice-user",
  accountId: "111111111111",
};
const BOB = { accessKeyId: "AKIABOB0000000001", accessKeySecret: "bob", accountId: "222222222222" };
/** A key naming no account: the default local one. */
const PLAIN = { accessKeyId: "AKIAPLAIN00000001", accessKeySecret: "plain" };
const REGION = "us-east-1";
const TARGET = "i-0accounts000001";
const DAS = { version: "2020-01-16" };

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startLocalCloud({
    credentials: [ALICE, ALICE_USER, BOB, PLAIN],
    ssm: { targets: [{ target: TARGET, region: REGION }] },
    // No port: a task on it ends ERROR at once, no database server needed to read it back.
    das: { instances: [{ instanceId: "rm-accounts0001", engine: "MySQL" }] },
  });
});
afterAll(() => cloud.stop());

type Key = { accessKeyId: string; accessKeySecret: string };

const ssm = (key: Key) =>
  new SSMClient({
    region: REGION,
    endpoint: cloud.url,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.accessKeySecret },
    maxAttempts: 1,
  });

async function activeIds(key: Key): Promise<string[]> {
  const out = await ssm(key).send(new DescribeSessionsCommand({ State: "Active" }));
  return (out.Sessions ?? []).map((s) => s.SessionId!);
}

async function ssmError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as SSMServiceException).name;
  }
  throw new Error("expected the call to fail");
}

describe("SSM sessions belong to the account of the key that started them", () => {
  test("Owner is an ARN of the caller's account", async () => {
    const alice = await ssm(ALICE).send(new StartSessionCommand({ Target: TARGET }));
    const plain = await ssm(PLAIN).send(new StartSessionCommand({ Target: TARGET }));
    const owners = async (key: Key, id: string) =>
      (
        await ssm(key).send(
          new DescribeSessionsCommand({ State: "Active", Filters: [{ key: "SessionId", value: id }] }),
        )
      ).Sessions?.map((s) => s.Owner);
    expect(await owners(ALICE, alice.SessionId!)).toEqual([
      `arn:aws:iam::111111111111:user/${ALICE.accessKeyId}`,
    ]);
    expect(await owners(PLAIN, plain.SessionId!)).toEqual([
      `arn:aws:iam::000000000000:user/${PLAIN.accessKeyId}`,
    ]);
  });

  test("another account neither lists, resumes nor terminates it; a user of the same account does", async () => {
    const { SessionId: id } = await ssm(ALICE).send(new StartSessionCommand({ Target: TARGET }));
    expect(await activeIds(BOB)).not.toContain(id);
    expect(await activeIds(PLAIN)).not.toContain(id);
    expect(await ssmError(ssm(BOB).send(new ResumeSessionCommand({ SessionId: id })))).toBe(
      "DoesNotExistException",
    );
    expect(await ssmError(ssm(BOB).send(new TerminateSessionCommand({ SessionId: id })))).toBe(
      "DoesNotExistException",
    );
    // Bob's attempt changed nothing.
    expect(await activeIds(ALICE)).toContain(id);

    expect(await activeIds(ALICE_USER)).toContain(id);
    const resumed = await ssm(ALICE_USER).send(new ResumeSessionCommand({ SessionId: id }));
    expect(resumed.SessionId).toBe(id);
    await ssm(ALICE_USER).send(new TerminateSessionCommand({ SessionId: id }));
    expect(await activeIds(ALICE)).not.toContain(id);
    const history = await ssm(ALICE).send(
      new DescribeSessionsCommand({ State: "History", Filters: [{ key: "SessionId", value: id! }] }),
    );
    expect(history.Sessions?.map((s) => s.Status)).toEqual(["Terminated"]);
  });
});

describe("DAS kill tasks belong to the account of the key that created them", () => {
  async function createTask(key: Key): Promise<string> {
    const created = await callRpc(
      openApiClient(cloud, key),
      "CreateKillInstanceSessionTask",
      { InstanceId: "rm-accounts0001", DbUser: "ops", DbUserPassword: "pw", KillAllSessions: true },
      DAS,
    );
    return created.body.Data as string;
  }
  const result = async (key: Key, taskId: string) =>
    (
      await callRpc(
        openApiClient(cloud, key),
        "GetKillInstanceSessionTaskResult",
        { InstanceId: "rm-accounts0001", TaskId: taskId },
        DAS,
      )
    ).body;

  test("another account's Get...Result is the service's not-found answer; a user of the same account reads it", async () => {
    const taskId = await createTask(ALICE);
    const other = await result(BOB, taskId);
    expect(other).toMatchObject({ Code: 400, Success: false });
    expect(other.Message).toBe(`InvalidParams: The task ${taskId} does not exist for this instance or node.`);
    expect((await result(PLAIN, taskId)).Success).toBe(false);

    const mine = await result(ALICE_USER, taskId);
    expect(mine.Success).toBe(true);
    expect((mine.Data as { TaskId: string }).TaskId).toBe(taskId);
  });

  test("UserId is the account's: the same for every key of it, another for another account", async () => {
    const userId = async (key: Key) =>
      ((await result(key, await createTask(key))).Data as { UserId: string }).UserId;
    const alice = await userId(ALICE);
    expect(alice).toMatch(/^\d{16}$/);
    expect(await userId(ALICE_USER)).toBe(alice);
    expect(await userId(BOB)).not.toBe(alice);
  });
});

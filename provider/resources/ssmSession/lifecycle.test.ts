import { AdminClient, startLocalCloud, type LocalCloud } from "../../../emulator";
import { createSsmClient, findSsmSession, terminateSession } from "../../clients/aws";
import { configFromObject } from "../../config";
import { UNKNOWN } from "../../validation";
import { createSsmSessionProvider, ssmSessionChanges } from "./lifecycle";

const KEY = { accessKeyId: "AKIASSMSESSIONTEST1", accessKeySecret: "ssm-session-secret" };
const REGION = "us-west-2";
const TARGET = "i-0ssmsession00001";

/** A provider configured like the engine does, from stack config only. */
async function configured(config: Record<string, string>, env: Record<string, string> = {}) {
  const provider = createSsmSessionProvider({ env, sleep: async () => {} });
  await provider.configure!({ config: configFromObject(config) } as never);
  return provider;
}

describe("check", () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ["missing target", {}, "target", "target is required"],
    ["empty target", { target: "" }, "target", "target must not be empty (rule 1..400 characters)"],
    ["target too long", { target: "i".repeat(401) }, "target", "target must be at most 400 characters"],
    ["target not a string", { target: 7 }, "target", "target must be a string"],
    [
      "short document name",
      { target: TARGET, documentName: "ab" },
      "documentName",
      "documentName must be 3 to 128",
    ],
    [
      "document name with a space",
      { target: TARGET, documentName: "AWS Start" },
      "documentName",
      "pattern ^[a-zA-Z0-9_",
    ],
    ["document name too long", { target: TARGET, documentName: "a".repeat(129) }, "documentName", "3 to 128"],
    [
      "empty reason",
      { target: TARGET, reason: "" },
      "reason",
      "reason must not be empty (rule 1..256 characters)",
    ],
    [
      "reason too long",
      { target: TARGET, reason: "r".repeat(257) },
      "reason",
      "reason must be at most 256 characters",
    ],
    ["multi-line reason", { target: TARGET, reason: "a\nb" }, "reason", "reason must be a single line"],
    [
      "parameters not a map",
      { target: TARGET, parameters: ["x"] },
      "parameters",
      "parameters must be a map of lists",
    ],
    [
      "parameter value not a list",
      { target: TARGET, parameters: { portNumber: "22" } },
      "parameters",
      "parameters.portNumber: must be a list of strings",
    ],
    [
      "empty parameter value",
      { target: TARGET, parameters: { portNumber: [""] } },
      "parameters",
      "parameters.portNumber[0]: must not be empty",
    ],
    [
      "empty parameter name",
      { target: TARGET, parameters: { "": ["x"] } },
      "parameters",
      "parameters names must be 1 to 255",
    ],
    [
      "parameter name too long",
      { target: TARGET, parameters: { ["n".repeat(256)]: ["x"] } },
      "parameters",
      "parameters names must be 1 to 255 characters (one has 256)",
    ],
    [
      "unknown input",
      { target: TARGET, sessionName: "x" },
      "sessionName",
      "sessionName is not a known input",
    ],
  ];

  test.each(cases)("%s fails naming the field", async (_name, news, property, reason) => {
    const provider = await configured({ "aws:region": REGION });
    const { failures } = await provider.check!({}, news);
    expect(failures).toEqual([expect.objectContaining({ property })]);
    expect(failures![0].reason).toContain(reason);
  });

  test("a valid session passes; the region comes from aws:region, then AWS_REGION, then AWS_DEFAULT_REGION", async () => {
    const news = {
      target: TARGET,
      documentName: "AWS-StartPortForwardingSession",
      parameters: { portNumber: ["22"] },
    };
    expect(
      await (
        await configured({ "aws:region": "eu-west-1" }, { AWS_REGION: "x" })
      ).check!({}, news),
    ).toEqual({
      inputs: { ...news, region: "eu-west-1" },
      failures: [],
    });
    expect(
      (await (await configured({}, { AWS_REGION: "eu-west-2", AWS_DEFAULT_REGION: "x" })).check!({}, news))
        .inputs,
    ).toMatchObject({ region: "eu-west-2" });
    expect(
      (await (await configured({}, { AWS_DEFAULT_REGION: "eu-west-3" })).check!({}, news)).inputs,
    ).toMatchObject({
      region: "eu-west-3",
    });
    expect(
      (await (await configured({ "aws:region": "x" })).check!({}, { ...news, region: "ap-south-1" })).inputs,
    ).toMatchObject({ region: "ap-south-1" });
  });

  test("no region anywhere is a failure on region", async () => {
    const { failures } = await (await configured({})).check!({}, { target: TARGET });
    expect(failures).toEqual([{ property: "region", reason: expect.stringContaining("aws:region") }]);
  });

  test("unknown values (preview) pass, while known mistakes beside them still fail", async () => {
    const provider = await configured({ "aws:region": REGION });
    const unknowns = { target: UNKNOWN, reason: UNKNOWN, parameters: { portNumber: [UNKNOWN] } };
    expect((await provider.check!({}, unknowns)).failures).toEqual([]);
    const { failures } = await provider.check!({}, { ...unknowns, documentName: "x" });
    expect(failures!.map((f) => f.property)).toEqual(["documentName"]);
  });

  test("the internal __provider input is ignored, nulls are dropped", async () => {
    const provider = await configured({ "aws:region": REGION });
    const { inputs, failures } = await provider.check!(
      {},
      { __provider: "stub", target: TARGET, reason: null },
    );
    expect(failures).toEqual([]);
    expect(inputs).toEqual({ target: TARGET, region: REGION });
  });
});

describe("diff", () => {
  const olds = { region: REGION, target: TARGET, sessionId: "s", tokenValue: "t", status: "Connected" };
  test("outputs alone are no change", () => {
    expect(ssmSessionChanges(olds, { region: REGION, target: TARGET })).toEqual([]);
  });
  test("any input change replaces, unknowns included", async () => {
    const provider = await configured({});
    expect(await provider.diff!("s", olds, { region: REGION, target: "i-other" })).toEqual({
      changes: true,
      replaces: ["target"],
      deleteBeforeReplace: false,
    });
    expect(ssmSessionChanges(olds, { region: REGION, target: TARGET, reason: "why" })).toEqual(["reason"]);
    expect(ssmSessionChanges(olds, { region: REGION, target: TARGET, parameters: { a: [UNKNOWN] } })).toEqual(
      ["parameters"],
    );
    expect(
      ssmSessionChanges(
        { ...olds, parameters: { a: ["1", "2"] } },
        { ...olds, parameters: { a: ["2", "1"] } },
      ),
    ).toEqual(["parameters"]);
  });
});

describe("create, read, update and delete against the local cloud", () => {
  let cloud: LocalCloud;
  let admin: AdminClient;
  let config: Record<string, string>;

  beforeAll(async () => {
    cloud = await startLocalCloud({
      credentials: [KEY],
      ssm: {
        targets: [
          { target: TARGET, region: REGION },
          { target: "i-0ssmoffline00001", region: REGION, connected: false },
        ],
      },
    });
    admin = new AdminClient(cloud);
    config = {
      "aws:region": REGION,
      "aws:accessKey": KEY.accessKeyId,
      "aws:secretKey": KEY.accessKeySecret,
      "sessions:localCloud": cloud.url,
    };
  });
  afterAll(() => cloud.stop());

  const direct = () =>
    createSsmClient({
      region: REGION,
      endpoint: cloud.url,
      credentials: {
        kind: "static",
        accessKeyId: KEY.accessKeyId,
        secretAccessKey: KEY.accessKeySecret,
        source: "t",
      },
    });

  test("the whole life of a session", async () => {
    const provider = await configured(config);
    const { inputs } = await provider.check!(
      {},
      {
        target: TARGET,
        documentName: "AWS-StartPortForwardingSession",
        reason: "unit test",
        parameters: { portNumber: ["5432"] },
      },
    );
    const created = await provider.create!({ ...inputs, __provider: "stub" });
    expect(created.id).toMatch(/^AKIASSMSESSIONTEST1-0[0-9a-f]{16}$/);
    expect(created.outs!).toMatchObject({
      region: REGION,
      target: TARGET,
      documentName: "AWS-StartPortForwardingSession",
      reason: "unit test",
      parameters: { portNumber: ["5432"] },
      sessionId: created.id,
      status: "Connecting",
      owner: `arn:aws:iam::000000000000:user/${KEY.accessKeyId}`,
      tokenValue: expect.any(String),
      streamUrl: expect.stringMatching(/^ws:\/\//),
      startDate: expect.stringMatching(/^\d{4}-/),
    });
    expect(created.outs!).not.toHaveProperty("endDate");
    expect(created.outs!).not.toHaveProperty("__provider");

    const read = await provider.read!(created.id, created.outs!);
    expect(read).toEqual({ id: created.id, props: created.outs });

    const updated = await provider.update!(created.id, created.outs!, inputs!);
    expect(updated.outs).toEqual(created.outs!);

    await provider.delete!(created.id, created.outs!);
    expect(await findSsmSession(direct(), created.id)).toMatchObject({ status: "Terminated" });
    // A second delete (a retried destroy) is fine, and refresh now drops the session.
    await provider.delete!(created.id, created.outs!);
    expect(await provider.read!(created.id, created.outs!)).toEqual({});
  });

  test("a session terminated outside Pulumi disappears on refresh", async () => {
    const provider = await configured(config);
    const created = await provider.create!({ region: REGION, target: TARGET });
    await terminateSession(direct(), created.id);
    await admin.clearRequests();
    expect(await provider.read!(created.id, created.outs!)).toEqual({});
    // Not listed as Active, found in History.
    expect((await admin.requests()).map((r) => r.action)).toEqual(["DescribeSessions", "DescribeSessions"]);
  });

  test("an unknown session id is dropped on refresh and its delete succeeds", async () => {
    const provider = await configured(config);
    const props = { region: REGION, target: TARGET };
    expect(await provider.read!("AKIA-0000000000000000a", props)).toEqual({});
    await expect(provider.delete!("AKIA-0000000000000000a", props)).resolves.toBeUndefined();
  });

  test("TargetNotConnected explains that the SSM agent is offline", async () => {
    const provider = await configured(config);
    const err = await provider.create!({ region: REGION, target: "i-0ssmoffline00001" }).catch(
      (e: Error) => e,
    );
    expect((err as Error).message).toMatch(/TargetNotConnected.*SSM Agent on this target is not connected/s);
  });

  test("a session that cannot be read back is recorded as partially created", async () => {
    const provider = await configured(config);
    await admin.addFault({ service: "ssm", action: "DescribeSessions", kind: "serverError" });
    try {
      const err = (await provider.create!({ region: REGION, target: TARGET, __provider: "stub" }).catch(
        (e) => e,
      )) as {
        name: string;
        id: string;
        properties: Record<string, unknown>;
      };
      expect(err.name).toBe("ResourceInitError");
      expect(err.properties).toMatchObject({
        sessionId: err.id,
        tokenValue: expect.any(String),
        __provider: "stub",
      });
    } finally {
      await admin.clearFaults();
    }
  });

  test("with credentials from a profile (aws:profile) and the endpoint from sessions:ssmEndpoint", async () => {
    const fs = await import("node:fs");
    const os = await import("node:os");
    const path = await import("node:path");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aws-profile-"));
    const file = path.join(dir, "credentials");
    fs.writeFileSync(
      file,
      `[unit]\naws_access_key_id = ${KEY.accessKeyId}\naws_secret_access_key = ${KEY.accessKeySecret}\n`,
    );
    const saved = process.env.AWS_SHARED_CREDENTIALS_FILE;
    process.env.AWS_SHARED_CREDENTIALS_FILE = file;
    try {
      const provider = await configured({
        "aws:region": REGION,
        "aws:profile": "unit",
        "sessions:ssmEndpoint": cloud.url,
      });
      const created = await provider.create!({ region: REGION, target: TARGET });
      await provider.delete!(created.id, created.outs!);
    } finally {
      if (saved === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE;
      else process.env.AWS_SHARED_CREDENTIALS_FILE = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

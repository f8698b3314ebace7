/**
 * The same scripted shell session through the official session-manager-plugin and through our
 * client gives the same terminal output.
 */
import { PassThrough } from "node:stream";
import {
  CRED,
  NODE,
  REGION,
  startSsmTestCloud,
  type SsmTestCloud,
} from "../../emulator/dataplane/ssm/testing/cloud";
import { officialPlugin, runPlugin } from "../../emulator/dataplane/ssm/testing/plugin";
import { openShell } from ".";

const SCRIPT = "echo one; printf 'two\\tthree\\n'; echo $((6*7)); exit 0\n";
const PROMPT = /[#$] $/;

let plugin: string;
let t: SsmTestCloud;

beforeAll(async () => {
  plugin = officialPlugin();
  t = await startSsmTestCloud();
});

afterAll(async () => {
  await t.stop();
});

async function throughPlugin(): Promise<string> {
  const s = await t.start();
  const run = runPlugin({
    plugin,
    endpoint: t.cloud.url,
    region: REGION,
    credentials: { accessKeyId: CRED.accessKeyId, secretAccessKey: CRED.accessKeySecret },
    response: s,
    request: { Target: NODE },
  });
  await run.waitFor(PROMPT);
  run.child.stdin.write(SCRIPT);
  await run.exited;
  const banner = `\nStarting session with SessionId: ${s.SessionId}\n`;
  const farewell = `\n\nExiting session with sessionId: ${s.SessionId}.\n\n`;
  const out = run.stdout();
  expect(out.startsWith(banner) && out.endsWith(farewell)).toBe(true);
  return out.slice(banner.length, out.length - farewell.length);
}

async function throughClient(): Promise<string> {
  const s = await t.start();
  const input = new PassThrough();
  const output = new PassThrough();
  let seen = "";
  let prompted: () => void = () => undefined;
  const prompt = new Promise<void>((resolve) => (prompted = resolve));
  output.on("data", (d: Buffer) => {
    seen += d.toString("utf8");
    if (PROMPT.test(seen)) prompted();
  });
  const shell = await openShell({ streamUrl: s.StreamUrl, tokenValue: s.TokenValue }, { input, output });
  await prompt;
  input.write(SCRIPT);
  await shell.done;
  return seen;
}

it("gives the same transcript through the official plugin and through our client", async () => {
  const viaPlugin = await throughPlugin();
  const viaClient = await throughClient();
  expect(viaClient).toContain("two\tthree\r\n42\r\n");
  expect(viaClient).toBe(viaPlugin);
});

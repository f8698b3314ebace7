/** The tunnel inputs at CheckConfig: validation named by field, and a local port that stays put. */
import { checkTunnelConfig, TunnelHost } from "./tunnels";

const aws = { target: "i-0abc", remotePort: 3306 };
const pick = async () => 40001;

test("an unset localPort gets a free port at first, then keeps the one in state", async () => {
  const first = await checkTunnelConfig({}, { awsTunnel: aws }, pick);
  expect(first.failures).toEqual([]);
  expect(first.inputs.awsTunnel).toEqual({ ...aws, localPort: 40001 });

  const again = await checkTunnelConfig(
    { awsTunnel: { ...aws, localPort: 40123 } },
    { awsTunnel: aws },
    pick,
  );
  expect(again.inputs.awsTunnel).toEqual({ ...aws, localPort: 40123 });

  const chosen = await checkTunnelConfig({}, { awsTunnel: { ...aws, localPort: 15432 } }, pick);
  expect(chosen.inputs.awsTunnel).toEqual({ ...aws, localPort: 15432 });
});

test("bad tunnel inputs name the field and the rule", async () => {
  const { failures } = await checkTunnelConfig(
    {},
    {
      awsTunnel: { target: "", remotePort: 0, extra: 1 },
      alicloudTunnel: { instanceId: "i-1", portNumber: 22 },
    },
    pick,
  );
  expect(failures.map((f) => f.reason).sort()).toEqual([
    "awsTunnel and alicloudTunnel cannot both be set: one tunnel per provider",
    "awsTunnel.extra is not a known input",
    "awsTunnel.remotePort: remotePort must be at least 1 (rule portNumber 1..65535)",
    "awsTunnel.target: target must not be empty (rule 1..400 characters)",
  ]);
});

test("a dry run configures the tunnel's port without starting anything", async () => {
  const host = new TunnelHost(() => {});
  await host.configure(
    { awsTunnel: { ...aws, localPort: 40002 }, __tunnelDryRun: true },
    { get: () => undefined },
    "urn:pulumi:dev::p::pulumi:providers:sessions::db",
  );
  expect(host.endpoint()).toEqual({ host: "127.0.0.1", port: 40002 });
  await host.closeAll();
});

test("an endpoint without a tunnel provider says what it needs", () => {
  expect(() => new TunnelHost().endpoint()).toThrow(
    "sessions:index:TunnelEndpoint needs a sessions provider with awsTunnel or alicloudTunnel as its provider",
  );
});

/** The tunnel inputs at CheckConfig: validation named by field, a local port that stays put. */
import { checkTunnelConfig } from "./inputs";

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

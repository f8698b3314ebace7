/**
 * Break-glass SSH over ECS Session Manager: an instance with no public IP and no inbound rule,
 * reached only through a short-lived Session Manager port-forwarding session to its port 22.
 *
 * Config (namespace `break-glass-ssh`):
 *   existingInstanceId  use this instance instead of creating one (nothing from @pulumi/alicloud
 *                       is then registered, so the program also runs against the local cloud)
 *   instanceType        ECS instance type when one is created (default ecs.e-c1m1.large)
 *   sshUser             the login the connect hint shows (default root)
 *   localPort           the local port the connect hint shows (default 2222)
 */
import * as alicloud from "@pulumi/alicloud";
import * as pulumi from "@pulumi/pulumi";
import * as sessions from "pulumi-sessions";

const config = new pulumi.Config();
const sshUser = config.get("sshUser") ?? "root";
const localPort = config.getNumber("localPort") ?? 2222;

/** The first item, or an error that says what was missing (an empty data source result). */
function firstOf<T>(items: T[], what: string): T {
  if (items.length === 0) throw new Error(`no ${what} found: set break-glass-ssh:instanceType or the region`);
  return items[0];
}

/**
 * The smallest network an instance can live in. The security group has no ingress rule at all:
 * Session Manager traffic goes out from the Cloud Assistant agent, so port 22 never has to be
 * opened to anyone, and there is no public IP to attack.
 */
function createInstance(): pulumi.Output<string> {
  const instanceType = config.get("instanceType") ?? "ecs.e-c1m1.large";
  const zoneId = alicloud
    .getZonesOutput({ availableResourceCreation: "VSwitch", availableInstanceType: instanceType })
    .apply((z) => firstOf(z.zones, `zone offering ${instanceType}`).id);
  // Alibaba Cloud Linux 3 ships with the Cloud Assistant agent, which Session Manager needs.
  const imageId = alicloud.ecs
    .getImagesOutput({ nameRegex: "^aliyun_3_x64_20G_alibase_", owners: "system", mostRecent: true })
    .apply((i) => firstOf(i.images, "Alibaba Cloud Linux 3 image").id);

  const vpc = new alicloud.vpc.Network("break-glass", { vpcName: "break-glass", cidrBlock: "10.42.0.0/16" });
  const vswitch = new alicloud.vpc.Switch("break-glass", {
    vswitchName: "break-glass",
    vpcId: vpc.id,
    cidrBlock: "10.42.1.0/24",
    zoneId,
  });
  const group = new alicloud.ecs.SecurityGroup("break-glass", {
    securityGroupName: "break-glass",
    description: "No ingress: reached through Session Manager only",
    vpcId: vpc.id,
  });
  const instance = new alicloud.ecs.Instance("break-glass", {
    instanceName: "break-glass",
    availabilityZone: zoneId,
    instanceType,
    imageId,
    vswitchId: vswitch.id,
    securityGroups: [group.id],
    internetMaxBandwidthOut: 0,
  });
  return instance.id;
}

// Only build the alicloud resources when no instance is given: they need the alicloud provider
// plugin and a real account, which the local cloud (and an offline machine) do not have.
const existingInstanceId = config.get("existingInstanceId");
const instanceId = existingInstanceId ? pulumi.output(existingInstanceId) : createInstance();

/** Forwards to sshd on the instance. A new session (and URL) on every replacement. */
const session = new sessions.alicloud.TerminalSession("break-glass-ssh", {
  instanceIds: [instanceId],
  portNumber: 22,
});

export { instanceId };
export const sessionId = session.sessionId;
// Already secret (the resource marks them so); wrapping says it here too: whoever holds the URL
// and token in the next 10 minutes can reach sshd.
export const webSocketUrl = pulumi.secret(session.webSocketUrl);
export const securityToken = pulumi.secret(session.securityToken);
/** StartTerminalSession URLs accept new connections for 10 minutes after creation. */
export const expiresAt = session.creationTime.apply((t) =>
  t ? new Date(Date.parse(t) + 10 * 60 * 1000).toISOString() : undefined,
);
// `pulumi-sessions forward` reads the URL from the stack itself: it never passes through a
// command line or a terminal.
export const howToConnect = pulumi.interpolate`Before ${expiresAt}: npx pulumi-sessions forward --output webSocketUrl --local-port ${localPort} & then: ssh -p ${localPort} ${sshUser}@127.0.0.1`;

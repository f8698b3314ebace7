/**
 * Bootstrap over Session Manager: an ECS instance with no public IP and no inbound rule, set up
 * by a script and then checked by another, both run through `sessions.alicloud.Command` (an ECS
 * Session Manager session each: no SSH key, no open port, authorised and audited by RAM).
 *
 * Config (namespace `bootstrap-over-session`):
 *   existingInstanceId  use this instance instead of creating one (nothing from @pulumi/alicloud
 *                       is then registered, so the program also runs against the local cloud)
 *   instanceType        ECS instance type when one is created (default ecs.e-c1m1.large)
 *   appToken (secret)   handed to the setup script in its environment: never on a command line,
 *                       in the cloud's session records, or in state
 *   appPort             the port the app's config names (default 8080)
 *   appDir              where the app goes on the instance (default /var/tmp/bootstrap-app)
 */
import * as alicloud from "@pulumi/alicloud";
import * as pulumi from "@pulumi/pulumi";
import * as sessions from "pulumi-sessions";

const config = new pulumi.Config();

/** The first item, or an error that says what was missing (an empty data source result). */
function firstOf<T>(items: T[], what: string): T {
  if (items.length === 0)
    throw new Error(`no ${what} found: set bootstrap-over-session:instanceType or the region`);
  return items[0];
}

/** A private instance: no public IP, a security group without a single ingress rule. */
function createInstance(): pulumi.Output<string> {
  const instanceType = config.get("instanceType") ?? "ecs.e-c1m1.large";
  const zoneId = alicloud
    .getZonesOutput({ availableResourceCreation: "VSwitch", availableInstanceType: instanceType })
    .apply((z) => firstOf(z.zones, `zone offering ${instanceType}`).id);
  // Alibaba Cloud Linux 3 ships with the Cloud Assistant agent, which Session Manager needs.
  const imageId = alicloud.ecs
    .getImagesOutput({ nameRegex: "^aliyun_3_x64_20G_alibase_", owners: "system", mostRecent: true })
    .apply((i) => firstOf(i.images, "Alibaba Cloud Linux 3 image").id);
  const vpc = new alicloud.vpc.Network("bootstrap", { vpcName: "bootstrap", cidrBlock: "10.43.0.0/16" });
  const vswitch = new alicloud.vpc.Switch("bootstrap", {
    vswitchName: "bootstrap",
    vpcId: vpc.id,
    cidrBlock: "10.43.1.0/24",
    zoneId,
  });
  const group = new alicloud.ecs.SecurityGroup("bootstrap", {
    securityGroupName: "bootstrap",
    description: "No ingress: set up through Session Manager only",
    vpcId: vpc.id,
  });
  const instance = new alicloud.ecs.Instance("bootstrap", {
    instanceName: "bootstrap",
    availabilityZone: zoneId,
    instanceType,
    imageId,
    vswitchId: vswitch.id,
    securityGroups: [group.id],
    internetMaxBandwidthOut: 0,
  });
  return instance.id;
}

// The alicloud resources need the alicloud provider plugin and a real account, which the local
// cloud does not have: with an existing instance none is registered.
const existingInstanceId = config.get("existingInstanceId");
const instanceId = existingInstanceId ? pulumi.output(existingInstanceId) : createInstance();
const appPort = config.get("appPort") ?? "8080";
const appDir = config.get("appDir") ?? "/var/tmp/bootstrap-app";

/**
 * Writes the app's config (from stdin), its token and a marker into a folder only the session's
 * user can read. The token comes in the environment and only its length is printed.
 */
const setupScript = `set -eu
umask 077
app="$APP_DIR"
mkdir -p "$app"
cat > "$app/app.conf"
printf 'port=%s\\n' "$APP_PORT" >> "$app/app.conf"
printf '%s' "$APP_TOKEN" > "$app/token"
date -u +%Y-%m-%dT%H:%M:%SZ > "$app/installed-at"
echo "installed into $app (token: \${#APP_TOKEN} characters)"
`;

const setup = new sessions.alicloud.Command("setup", {
  instanceId,
  create: setupScript,
  delete: 'rm -rf "$APP_DIR"; echo removed',
  environment: {
    APP_TOKEN: config.getSecret("appToken") ?? pulumi.secret("change-me"),
    APP_PORT: appPort,
    APP_DIR: appDir,
  },
  stdin: "# bootstrap-over-session app config\nmode=production\n",
  timeout: 300,
});

/** Checks what the setup left; a non-zero exit fails the deployment with the output's tail. */
const healthScript = `app="$APP_DIR"
for f in app.conf token installed-at; do
  [ -s "$app/$f" ] || { echo "missing $f" >&2; exit 1; }
done
grep -q '^port=' "$app/app.conf" || { echo "no port in app.conf" >&2; exit 2; }
echo "healthy: $(grep '^port=' "$app/app.conf"), installed $(cat "$app/installed-at")"
`;

const health = new sessions.alicloud.Command(
  "health",
  { instanceId, create: healthScript, environment: { APP_DIR: appDir }, triggers: [setup.stdout] },
  { dependsOn: [setup] },
);

export { instanceId };
export const setupOutput = setup.stdout;
export const healthOutput = health.stdout;

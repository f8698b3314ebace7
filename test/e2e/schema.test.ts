import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { engineBin } from "../support/harness";
import { repoRoot } from "../support/paths";

/** `pulumi package get-schema` validates against Pulumi's metaschema and binds the package. */
function getSchema(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "schema-home-"));
  return new Promise((resolve) => {
    execFile(
      path.join(engineBin(), "pulumi"),
      ["package", "get-schema", file],
      { env: { ...process.env, PULUMI_HOME: home, PULUMI_SKIP_UPDATE_CHECK: "true" } },
      (error, stdout, stderr) => {
        fs.rmSync(home, { recursive: true, force: true });
        resolve({ code: error ? 1 : 0, stdout, stderr });
      },
    );
  });
}

describe("schema.json under Pulumi's own schema rules", () => {
  test("the engine accepts and binds it", async () => {
    const result = await getSchema(path.join(repoRoot, "schema.json"));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const bound = JSON.parse(result.stdout) as { name: string; resources: Record<string, unknown> };
    expect(bound.name).toBe("sessions");
    const ours = JSON.parse(fs.readFileSync(path.join(repoRoot, "schema.json"), "utf8")) as typeof bound;
    expect(Object.keys(bound.resources).sort()).toEqual(Object.keys(ours.resources).sort());
  });

  test("and rejects a schema that breaks them (the check can fail)", async () => {
    const broken = JSON.parse(fs.readFileSync(path.join(repoRoot, "schema.json"), "utf8")) as {
      resources: Record<string, { inputProperties: Record<string, unknown> }>;
    };
    const [first] = Object.values(broken.resources);
    first.inputProperties[Object.keys(first.inputProperties)[0]] = { type: "not-a-type" };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "schema-")), "schema.json");
    fs.writeFileSync(file, JSON.stringify(broken));
    const result = await getSchema(file);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/failed to bind schema/);
  });
});

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { engineBin, TestStack, UNKNOWN } from "../support/harness";

const TYPE = "pulumi-nodejs:dynamic:Resource";
const version = (
  JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package-lock.json"), "utf8")) as {
    packages: Record<string, { version: string }>;
  }
).packages["node_modules/@pulumi/pulumi"].version;

describe("the real Pulumi engine", () => {
  test("the harness runs the pinned CLI version", () => {
    const printed = execFileSync(path.join(engineBin(), "pulumi"), ["version"], { encoding: "utf8" }).trim();
    expect(printed).toBe(`v${version}`);
  });

  describe("a dynamic resource through preview, up, refresh and destroy", () => {
    let stack: TestStack;
    let notesDir: string;

    beforeAll(async () => {
      notesDir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-notes-"));
      stack = await TestStack.create({
        program: "fixture",
        config: { "fixture:dir": notesDir },
        secrets: { "fixture:token": "fixture-secret-value" },
      });
    });

    afterAll(async () => {
      await stack.destroy({ allowFailure: true });
      stack.cleanup();
      fs.rmSync(notesDir, { recursive: true, force: true });
    });

    test("preview plans both notes; the second's input is unknown until apply", async () => {
      const preview = await stack.preview();
      const creates = preview.steps.filter((s) => s.op === "create" && s.newState?.type === TYPE);
      expect(creates.map((s) => s.urn.split("::").pop()).sort()).toEqual(["first", "second"]);
      const second = creates.find((s) => s.urn.endsWith("::second"))!;
      expect(second.newState!.inputs!.text).toBe(UNKNOWN);
      const first = creates.find((s) => s.urn.endsWith("::first"))!;
      expect(first.newState!.inputs!.text).toBe("hello");
      expect(fs.readdirSync(notesDir)).toEqual([]);
    });

    test("up creates both and state holds their outputs", async () => {
      await stack.up();
      const notes = await stack.resourcesOfType(TYPE);
      expect(notes).toHaveLength(2);
      const first = notes.find((r) => r.urn.endsWith("::first"))!;
      const second = notes.find((r) => r.urn.endsWith("::second"))!;
      expect(first.id).toBe(path.join(notesDir, "first.txt"));
      expect(first.outputs!.bytes).toBe(5);
      expect(second.outputs!.text).toBe(`after ${first.id}`);
      expect(fs.readFileSync(second.id!, "utf8")).toBe(`after ${first.id}`);

      const outputs = await stack.outputs();
      expect(outputs).toEqual({
        firstBytes: 5,
        secondText: `after ${first.id}`,
        token: "fixture-secret-value",
        // The program runs on the Node.js of the test run (the project's own, never the machine's
        // end-of-life Node 20) and on the @pulumi/pulumi the run asked programs to use.
        runtime: { node: process.version, pulumi: process.env.PULUMI_SESSIONS_PROGRAM_PULUMI ?? version },
      });
      expect(Number(process.version.slice(1).split(".")[0])).toBeGreaterThanOrEqual(22);
      // The secret output is encrypted at rest.
      expect(stack.rawState()).not.toContain("fixture-secret-value");
      expect(await stack.exportText()).not.toContain("fixture-secret-value");
    });

    test("refresh reads external changes and drops what is gone", async () => {
      fs.writeFileSync(path.join(notesDir, "first.txt"), "changed outside");
      fs.rmSync(path.join(notesDir, "second.txt"));
      await stack.refresh();
      const notes = await stack.resourcesOfType(TYPE);
      expect(notes.map((r) => r.urn.split("::").pop())).toEqual(["first"]);
      expect(notes[0].outputs!.text).toBe("changed outside");
      expect(notes[0].outputs!.bytes).toBe("changed outside".length);
    });

    test("destroy removes everything it created and leaves empty state", async () => {
      await stack.destroy();
      expect(await stack.resourcesOfType(TYPE)).toEqual([]);
      expect(fs.readdirSync(notesDir)).toEqual([]);
    });
  });
});

/** Which of a Command's inputs the program marks secret: names only, for the provider's masking. */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_STREAMS_PROPERTY, SECRET_VALUES_PROPERTY } from "../contract/resources";
import { withSecretStreams } from "./command";

const marks = async (args: object) => {
  const marked = withSecretStreams(args) as Record<string, unknown>;
  return { streams: await marked[SECRET_STREAMS_PROPERTY], values: await marked[SECRET_VALUES_PROPERTY] };
};

test("names each secret environment value and a secret stdin, never their values", async () => {
  const args = {
    create: "deploy",
    environment: { NAME: "blue", TOKEN: pulumi.secret("s3cret-token"), ZONE: pulumi.output("a") },
    stdin: pulumi.secret("input text"),
  };
  expect(await marks(args)).toEqual({ streams: true, values: ["stdin", "environment.TOKEN"] });
});

test("an environment that is one secret output is secret as a whole", async () => {
  const args = { create: "deploy", environment: pulumi.secret({ NAME: "blue" }), stdinBase64: "aGk=" };
  expect(await marks(args)).toEqual({ streams: true, values: ["environment"] });
});

test("nothing secret: nothing named, and the streams stay plain", async () => {
  expect(await marks({ create: "deploy", environment: { NAME: "blue" }, stdin: "x" })).toEqual({
    streams: false,
    values: [],
  });
  // A secret elsewhere (the script itself) makes the streams secret but names no value.
  expect(await marks({ create: pulumi.secret("deploy"), environment: { NAME: "blue" } })).toEqual({
    streams: true,
    values: [],
  });
});

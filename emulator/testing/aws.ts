/** Test helper: the official SSM client with the test key, pointed at a local cloud. */
import { SSMClient } from "@aws-sdk/client-ssm";
import { TEST_CREDENTIAL } from "./alibaba";

export const ssmClient = (cloud: { url: string }, options: { maxAttempts?: number } = {}) =>
  new SSMClient({
    region: "us-east-1",
    endpoint: cloud.url,
    credentials: {
      accessKeyId: TEST_CREDENTIAL.accessKeyId,
      secretAccessKey: TEST_CREDENTIAL.accessKeySecret,
    },
    ...options,
  });

#!/usr/bin/env node
// The `pulumi-sessions` bin.
import { runBin } from "./main";

runBin(process.argv.slice(2));

#!/usr/bin/env node
// `pulumi-sessions-local`: the older name of `pulumi-sessions local-cloud`, kept as an alias.
import { runBin } from "./main";

runBin(["local-cloud", ...process.argv.slice(2)]);

#!/usr/bin/env node
// Entry point for `npx inferd`: the CLI is compiled to dist/ by `npm run build` (run by `npm ci`).
require("../dist/cmd/inferd.js");

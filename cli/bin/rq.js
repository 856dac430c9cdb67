#!/usr/bin/env node
// The `rq` command: a committed shim, so npm links the binary at install time even
// before `npm run build` has produced dist/ (see src/rq.ts).
import "../dist/rq.js";

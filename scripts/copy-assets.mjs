#!/usr/bin/env node
/**
 * Copies the non-TypeScript files a build needs (e.g. the Lua scripts) from a
 * source tree to the output tree, keeping their relative paths:
 *   node scripts/copy-assets.mjs <from> <to> <extension>...
 */
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const [from, to, ...extensions] = process.argv.slice(2);
if (!from || !to || extensions.length === 0) {
  process.stderr.write("usage: copy-assets.mjs <from> <to> <extension>...\n");
  process.exit(1);
}

let copied = 0;
for (const entry of readdirSync(from, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !extensions.some((extension) => entry.name.endsWith(extension))) continue;
  const source = join(entry.parentPath ?? entry.path, entry.name);
  const target = join(to, relative(from, source));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
  copied++;
}
process.stdout.write(`copied ${copied} ${extensions.join("/")} file(s) from ${from} to ${to}\n`);

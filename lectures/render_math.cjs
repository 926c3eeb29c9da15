// Render TeX to HTML with KaTeX at build time, for tinyopt's lecture builder.
// stdin: a JSON list of [tex, displayMode] pairs; stdout: a JSON list of HTML strings.
// A TeX error exits with status 1 and one line naming the expression.
"use strict";
const katex = require("katex");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const rendered = [];
  for (const [tex, displayMode] of JSON.parse(input)) {
    try {
      rendered.push(katex.renderToString(tex, { displayMode, throwOnError: true, output: "html" }));
    } catch (error) {
      process.stderr.write(`cannot render $${tex}$: ${error.message}\n`);
      process.exit(1);
    }
  }
  process.stdout.write(JSON.stringify(rendered));
});

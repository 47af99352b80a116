// The "build" step: reads the source, so it must run after the full copy.
const fs = require("fs");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/index.js", fs.readFileSync("index.js"));

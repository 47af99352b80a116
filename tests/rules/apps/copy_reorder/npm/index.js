// A tiny Express app; the build test edits this file.
const express = require("express");
const app = express();
app.get("/", (req, res) => res.send("hello"));
module.exports = app;

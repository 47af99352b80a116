const express = require("express");
const morgan = require("morgan");
const { greet } = require("./greet");

const app = express();
app.use(morgan("tiny"));
app.get("/health", (req, res) => res.json({ status: "ok" }));
app.get("/hello/:name", (req, res) => res.json({ message: greet(req.params.name) }));

const port = process.env.PORT || 3000;
app.listen(port, () => console.log(`listening on ${port}`));

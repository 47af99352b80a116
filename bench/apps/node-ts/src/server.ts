import { createServer } from "http";

const port = Number(process.env.PORT ?? 3000);
createServer((_req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain" });
  res.end("hello from TypeScript\n");
}).listen(port, () => console.log(`listening on ${port}`));

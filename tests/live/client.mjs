// A graphql-transport-ws subscriber with the reference client (npm graphql-ws, on `ws`),
// for the tests: one JSON line per thing that happens, on stdout.
//
//   node client.mjs '{"url": "ws://...", "query": "...", "variables": {...},
//                     "header": "Bearer ...", "payload": {...}, "subscriptions": 1,
//                     "origin": "https://elsewhere.example", "protocol": "graphql-ws"}'
//
// Lines: {"type":"ack"}, {"type":"next","sub":0,"payload":...},
// {"type":"error","sub":0,"errors":[...]}, {"type":"complete","sub":0},
// {"type":"closed","code":4403,"reason":"Forbidden"}. It exits when the socket closes
// or when stdin ends (the test is done with it).
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const config = JSON.parse(process.argv[2]);
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");

class Socket extends WebSocket {
  constructor(url, protocols) {
    const headers = {};
    if (config.header) headers.Authorization = config.header;
    if (config.origin) headers.Origin = config.origin;
    super(url, config.protocol ?? protocols, { headers });
  }
}

const client = createClient({
  url: config.url,
  webSocketImpl: Socket,
  lazy: false,
  retryAttempts: 0,
  connectionParams: config.payload ?? {},
  on: {
    connected: () => print({ type: "ack" }),
    closed: (event) => {
      print({ type: "closed", code: event.code, reason: String(event.reason ?? "") });
      process.exit(0);
    },
    error: () => {},
  },
});

for (let sub = 0; sub < (config.subscriptions ?? 1); sub++) {
  if (!config.query) break;
  client.subscribe(
    { query: config.query, variables: config.variables ?? {} },
    {
      next: (payload) => print({ type: "next", sub, payload }),
      error: (errors) =>
        print({ type: "error", sub, errors: Array.isArray(errors) ? errors : [String(errors)] }),
      complete: () => print({ type: "complete", sub }),
    },
  );
}

process.stdin.on("end", () => {
  client.dispose();
  process.exit(0);
});
process.stdin.resume();

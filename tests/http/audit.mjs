// The GraphQL-over-HTTP conformance audits of npm `graphql-http` (its `serverAudits`),
// run against one gateway URL, for the tests: one JSON line per audit on stdout,
//
//   node audit.mjs http://127.0.0.1:PORT/graphql
//   {"id":"22EB","name":"SHOULD accept application/graphql-response+json ...","status":"ok"}
//   {"id":"9ABE","name":"...","status":"warn","reason":"...","response":{"status":200,...}}
//
// The audits run one after the other, not all at once as `auditServer` does: the
// gateway caps the requests one caller has in flight (MESHGATE_MAX_CONCURRENT_REQUESTS),
// and a burst of ~70 parallel requests from one address is exactly what that cap refuses.
import { serverAudits } from "graphql-http";

const url = process.argv[2];
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");

for (const { id, name, fn } of serverAudits({ url })) {
  const result = await fn();
  const line = { id, name, status: result.status };
  if (result.status !== "ok") {
    line.reason = result.reason;
    const res = result.response;
    line.response = {
      status: res.status,
      contentType: res.headers.get("content-type"),
      body: await res.text().catch(() => "(body already read)"),
    };
  }
  print(line);
}

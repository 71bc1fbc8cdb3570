// The direct client of bench/peer_gateways.py: the question without a gateway, i.e. each
// product's metadata and health fetched at once (18 GETs), with keep-alive connections.
//
//   node direct.mjs once  '<json: [{metadata, health}, ...]>'          -> the answers
//   node direct.mjs load  '<json>' <connections> <seconds>             -> counts, latencies
//
// `load` runs <connections> questions at a time for <seconds> and prints one JSON line:
// {questions, errors, seconds, latenciesMs: [...]} (percentiles are computed by the caller).
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new Error(`${url}: HTTP ${res.statusCode}`));
          return;
        }
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

// One question: every GET at once; the fields the gateways answer, per product.
async function question(products) {
  const answers = await Promise.all(products.flatMap((p) => [get(p.metadata), get(p.health)]));
  return products.map((_, i) => {
    const m = answers[2 * i];
    const h = answers[2 * i + 1];
    return {
      metadata: {
        id: m.id, name: m.name, domain: m.domain, owner: m.owner, tags: m.tags,
        description: m.description,
      },
      health: { status: h.status },
    };
  });
}

async function load(products, connections, seconds) {
  const latencies = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  async function worker() {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await question(products);
        latencies.push(performance.now() - t0);
      } catch {
        errors += 1;
      }
    }
  }
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - started) / 1000;
  return { questions: latencies.length, errors, seconds: elapsed, latenciesMs: latencies };
}

const [mode, raw, connections, seconds] = process.argv.slice(2);
const products = JSON.parse(raw);
const result = mode === 'once'
  ? await question(products)
  : await load(products, Number(connections), Number(seconds));
process.stdout.write(JSON.stringify(result) + '\n');
agent.destroy();

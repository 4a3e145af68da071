// Mongoose's own index sync over the same fleet as benches/fleet.rs, for
// comparison: `syncIndexes` (from empty) or `diffIndexes` (in sync) for every
// tenant database PREFIX00000.., one model per manifest collection.
// usage: node bench.mjs URI PREFIX N sync|diff MANIFEST_JSON
// MANIFEST_JSON is `mig list --format json`; prints {"seconds": s}.
import fs from 'node:fs';
import mongoose from 'mongoose';

const [uri, prefix, count, mode, specFile] = process.argv.slice(2);
// The collections with indexes: a view (manifests/ declares one) has none,
// and listIndexes on it is an error.
const collections = JSON.parse(fs.readFileSync(specFile, 'utf8'))
  .manifests.tenant.filter((c) => (c.indexes ?? []).length > 0);
mongoose.set('autoIndex', false);
mongoose.set('autoCreate', false);
const conn = await mongoose.createConnection(uri, { autoIndex: false, autoCreate: false }).asPromise();

const started = performance.now();
for (let i = 0; i < Number(count); i++) {
  const db = conn.useDb(prefix + String(i).padStart(5, '0'), { useCache: false });
  for (const c of collections) {
    const schema = new mongoose.Schema({}, { strict: false, autoIndex: false, autoCreate: false, collection: c.name });
    for (const index of c.indexes) {
      const { key, v, ...options } = index;
      schema.index(key, options);
    }
    const model = db.model(c.name, schema, c.name);
    if (mode === 'sync') {
      await model.syncIndexes();
    } else {
      await model.diffIndexes();
    }
  }
}
console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000 }));
await conn.close();

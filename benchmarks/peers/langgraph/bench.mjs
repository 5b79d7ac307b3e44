// Durable steps per second of a 10-node LangGraph.js graph checkpointed by SqliteSaver (a checkpoint per step, every
// checkpoint kept), the same shape as FlowState's durable flow benchmark: each node writes one field of the state.
//   node bench.mjs <db file> <runs> <concurrent runs> <warm-up runs> <async|sync> <NORMAL|FULL>
// async is LangGraph's default durability (a step's checkpoint is saved while the next step runs), sync saves it before
// the next step starts; NORMAL is better-sqlite3's default (no fsync per commit), FULL fsyncs the WAL at each commit.
// Prints one JSON line: {"stepsPerSecond": ..., "runs": ..., "concurrency": ..., "synchronous": ..., "journalMode": ...}
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

const [dbPath, runsText, concurrencyText, warmUpText, durability, synchronousLevel] = process.argv.slice(2);
const runs = Number.parseInt(runsText, 10);
const concurrency = Number.parseInt(concurrencyText, 10);
const warmUpRuns = Number.parseInt(warmUpText, 10);
if (!(runs > 0 && concurrency > 0 && warmUpRuns >= 0) || !["async", "sync"].includes(durability) || !["NORMAL", "FULL"].includes(synchronousLevel)) {
  console.error("usage: node bench.mjs <db file> <runs> <concurrent runs> <warm-up runs> <async|sync> <NORMAL|FULL>");
  process.exit(2);
}
const nodes = 10;

const fields = {};
for (let i = 0; i < nodes; i++) {
  fields[`f${i}`] = Annotation();
}
const State = Annotation.Root(fields);

let graph = new StateGraph(State);
for (let i = 0; i < nodes; i++) {
  graph = graph.addNode(`n${i}`, (state) => ({ [`f${i}`]: `value ${i} of ${state.run ?? "run"}` }));
}
graph = graph.addEdge(START, "n0");
for (let i = 1; i < nodes; i++) {
  graph = graph.addEdge(`n${i - 1}`, `n${i}`);
}
graph = graph.addEdge(`n${nodes - 1}`, END);

const saver = SqliteSaver.fromConnString(dbPath);
saver.db.pragma(`synchronous = ${synchronousLevel}`);
const app = graph.compile({ checkpointer: saver });

// Warm-up runs, not timed, as many as the FlowState side gets (module loading, statement preparation, the JIT).
async function runAll(count, prefix) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const run = next++;
      await app.invoke({}, { configurable: { thread_id: `${prefix}-${run}` }, durability });
    }
  }));
}

await runAll(warmUpRuns, "warm-up");
const warmUpCheckpoints = await countCheckpoints(saver);
const started = process.hrtime.bigint();
await runAll(runs, "run");
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

const synchronous = saver.db.pragma("synchronous", { simple: true });
const journalMode = saver.db.pragma("journal_mode", { simple: true });
const steps = (await countCheckpoints(saver)) - warmUpCheckpoints;
console.log(JSON.stringify({ stepsPerSecond: (runs * nodes) / seconds, runs, concurrency, synchronous, journalMode, checkpoints: steps }));

async function countCheckpoints(s) {
  return s.db.prepare("SELECT count(*) AS n FROM checkpoints").get().n;
}

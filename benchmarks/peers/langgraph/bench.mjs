// Durable steps per second of a 10-node LangGraph.js graph checkpointed by SqliteSaver (a checkpoint per step), the
// same shape as FlowState's durable flow benchmark: each node writes one field of the state.
//   node bench.mjs <db file> <runs> <concurrent runs>
// Prints one JSON line: {"stepsPerSecond": ..., "runs": ..., "concurrency": ..., "synchronous": ..., "journalMode": ...}
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

const [dbPath, runsText, concurrencyText] = process.argv.slice(2);
const runs = Number.parseInt(runsText, 10);
const concurrency = Number.parseInt(concurrencyText, 10);
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
const app = graph.compile({ checkpointer: saver });

// One warm-up run, not timed (module loading, statement preparation).
await app.invoke({}, { configurable: { thread_id: "warm-up" } });

let next = 0;
const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < runs) {
    const run = next++;
    await app.invoke({}, { configurable: { thread_id: `run-${run}` } });
  }
}));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

const synchronous = saver.db.pragma("synchronous", { simple: true });
const journalMode = saver.db.pragma("journal_mode", { simple: true });
const steps = await countCheckpoints(saver);
console.log(JSON.stringify({ stepsPerSecond: (runs * nodes) / seconds, runs, concurrency, synchronous, journalMode, checkpoints: steps }));

async function countCheckpoints(s) {
  return s.db.prepare("SELECT count(*) AS n FROM checkpoints").get().n;
}

-- Counts the words of one chunk per step and says whether more chunks remain.

function prep()
  local chunks = workflow.state.get("chunks")
  local index = workflow.state.get("next_chunk")
  return { index = index, total = #chunks, chunk = chunks[index] }
end

function exec(input)
  local counts = {}
  for word in string.gmatch(input.chunk, "%S+") do
    counts[word] = (counts[word] or 0) + 1
  end
  return counts
end

function post(input, counts)
  workflow.state.update("counts", function(all)
    for word, n in pairs(counts) do all[word] = (all[word] or 0) + n end
    return all
  end)
  workflow.state.set("next_chunk", input.index + 1)
  workflow.state.set("chunks_counted", input.index)
  -- This step's own scope, and the global scope shared by every run.
  step.state.update("runs", function(n) return (n or 0) + 1 end)
  State.update("chunks_counted_by_all_runs", function(n) return (n or 0) + 1 end)
  if input.index < input.total then
    return "more"
  end
  return "done"
end

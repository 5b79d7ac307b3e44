-- Splits the run's text into chunks of chunk_words words.

function prep()
  return { text = workflow.state.get("text"), size = workflow.state.get("chunk_words") or 10 }
end

function exec(input)
  local chunks, current = {}, {}
  for word in string.gmatch(string.lower(input.text), "[%a']+") do
    current[#current + 1] = word
    if #current == input.size then
      chunks[#chunks + 1] = table.concat(current, " ")
      current = {}
    end
  end
  if #current > 0 then chunks[#chunks + 1] = table.concat(current, " ") end
  return chunks
end

function post(input, chunks)
  workflow.state.set("chunks", chunks)
  workflow.state.set("next_chunk", 1)
  workflow.state.set("counts", {})
  print(string.format("split into %d chunks of up to %d words", #chunks, input.size))
end

-- Ranks the most frequent words.

function prep()
  return { counts = workflow.state.get("counts"), top = workflow.state.get("top") or 5 }
end

function exec(input)
  local words, total, distinct = {}, 0, 0
  for word, n in pairs(input.counts) do
    words[#words + 1] = { word = word, count = n }
    total = total + n
    distinct = distinct + 1
  end
  table.sort(words, function(a, b)
    if a.count ~= b.count then return a.count > b.count end
    return a.word < b.word
  end)
  local top = {}
  for i = 1, math.min(input.top, #words) do
    top[i] = words[i].word .. "=" .. words[i].count
  end
  return { total = total, distinct = distinct, top = top }
end

function post(_, report)
  workflow.state.set("words", report.total)
  workflow.state.set("distinct_words", report.distinct)
  workflow.state.set("top", report.top)
  print(string.format("%d words, %d distinct; top: %s", report.total, report.distinct, table.concat(report.top, ", ")))
end

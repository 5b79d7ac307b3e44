-- Progress tracking: a long job records how far it got, so that others can watch it and a rerun can go on from there.
--   dotnet run --project src/FlowState.Cli -- lua run examples/lua/progress.lua
local job = (args and args.job) or "import"
local total = (args and args.total) or 10
local key = "progress:" .. job

local saved = State.get(key)
local first = saved and saved.current + 1 or 1
for item = first, total do
  -- ... the real work on one item goes here ...
  State.set(key, {
    current = item,
    total = total,
    percent = math.floor(item * 100 / total),
    timestamp = os.time(),
  })
  if item % 5 == 0 then
    State.commit() -- keep the progress so far even if a later item fails
  end
end

local done = State.get(key)
print(string.format("%s: %d of %d (%d%%)", job, done.current, done.total, done.percent))
return done.percent

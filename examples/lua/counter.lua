-- Counter: count how many times this script ran. State keeps the count between runs.
--   dotnet run --project src/FlowState.Cli -- lua run examples/lua/counter.lua
-- State.update reads and writes the key in one step, so runs at the same time never lose a count.
local runs = State.update("runs", function(current) return (current or 0) + 1 end)

-- The same with get and set reads as plainly, and is safe here too: a script's writes commit together
-- at its end, and a run whose key changed meanwhile runs again on fresh state.
local visits = (State.get("visits") or 0) + 1
State.set("visits", visits)

print("run number " .. runs)
return runs

-- Branch completion: parallel branches each mark themselves done; the one that finishes last sees every mark.
--   dotnet run --project src/FlowState.Cli -- lua run examples/lua/branch-completion.lua --args '{"branch": 1}'
--   dotnet run --project src/FlowState.Cli -- lua run examples/lua/branch-completion.lua --args '{"branch": 2}'
local branches = (args and args.branches) or 2
local me = (args and args.branch) or 1

State.set("branch_" .. me .. "_complete", true)

-- Plain reads of the other marks could miss a branch finishing at the same moment. The count is an update, so two
-- branches finishing together are put in order (one of them runs again), and exactly one sees the full count.
local finished = State.update("branches_finished", function(count) return (count or 0) + 1 end)

if finished == branches then
  for i = 1, branches do
    assert(State.get("branch_" .. i .. "_complete"), "branch " .. i .. " counted but not marked")
  end
  State.set("all_branches_complete", os.time())
  print("all " .. branches .. " branches complete")
else
  print(string.format("branch %d complete; %d of %d done", me, finished, branches))
end
return finished == branches

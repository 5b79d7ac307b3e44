-- Cache: keep an expensive result under a "cache:" key for a while, and compute it only on a miss.
--   dotnet run --project src/FlowState.Cli -- lua run examples/lua/cache.lua
local function slow_square_sum(n)
  local total = 0
  for i = 1, n do total = total + i * i end
  return { n = n, sum = total, computed_at = os.time() }
end

local function cached(key, seconds, compute)
  local hit = State.get("cache:" .. key)
  if hit ~= nil then
    return hit, true
  end
  local value = compute()
  State.set("cache:" .. key, value, { ttl = seconds })
  return value, false
end

local n = (args and args.n) or 100000
local result, hit = cached("square_sum:" .. n, 60, function() return slow_square_sum(n) end)
print(string.format("sum of squares up to %d = %d (%s)", n, result.sum, hit and "from cache" or "computed"))
return result.sum, hit

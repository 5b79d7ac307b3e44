-- Builds the environment a FlowState script runs in. The host runs this chunk, trusted, in a fresh Lua state with
-- the standard libraries open; it receives the host's functions and the script's settings and returns the script's
-- environment. Everything a script can reach is in that environment: none of io, os (but time, clock and date),
-- debug, package, require, dofile, loadfile, string.dump or binary chunks, and no path to .NET.
--
-- Host functions never raise Lua errors themselves (a Lua error thrown through a .NET frame is not safe on Linux):
-- they return true and their results, or false and a message, and the wrappers below raise.
local host, config = ...

local rawerror, rawpcall, rawxpcall, rawload, rawtype = error, pcall, xpcall, load, type
local rawsetmetatable, rawgetmetatable, rawget, rawset, rawequal, rawlen = setmetatable, getmetatable, rawget, rawset, rawequal, rawlen
local select, next, pairs, ipairs, tostring, tonumber, assert = select, next, pairs, ipairs, tostring, tonumber, assert
local sethook, getinfo = debug.sethook, debug.getinfo
local cocreate, coresume, coclose = coroutine.create, coroutine.resume, coroutine.close
local concat = table.concat
local rawcollect = collectgarbage
local check, abort_reason, depth_exceeded, charge = host.check, host.abort_reason, host.depth_exceeded, host.charge
local interval, maxdepth = config.interval, config.maxdepth

-- The budget hook: every `interval` instructions the host counts them, checks the wall clock and cancellation; the
-- hook itself checks the call depth. Once a budget is spent the error is raised again at every chance, and the
-- pcall wrappers below re-raise it, so a script cannot catch its way past a budget.
local function hook()
  local message = check()
  if not message and getinfo(maxdepth + 2, "l") then
    message = depth_exceeded()
  end
  if message then
    rawerror(message, 0)
  end
end

local function hooked(co)
  sethook(co, hook, "", interval)
  return co
end

local function rethrow(ok, ...)
  if not ok then
    local message = abort_reason()
    if message then
      rawerror(message, 0)
    end
  end
  return ok, ...
end

local function copy(t)
  local c = {}
  for k, v in next, t do
    c[k] = v
  end
  return c
end

local function readonly(t, name)
  return rawsetmetatable({}, {
    __index = t,
    __newindex = function() rawerror(name .. " is read-only", 2) end,
    __pairs = function() return next, t, nil end,
    __len = function() return #t end,
    __metatable = false,
  })
end

-- Host results: true and values, or false and a message raised at the script's line (level 3: the caller of the
-- API function). Callers wrap the call in parentheses so that this is not a tail call, which would lose that level.
local function finish(ok, ...)
  if ok then
    return ...
  end
  rawerror((...), 3)
end

local env = {}

-- Library calls run in C, where the hook never fires: one call must not run unbounded. Calls whose work is a count
-- the script chose (moving, joining, inserting, repeating) are charged that count against the instruction budget
-- before they run; pattern matching, whose worst case can be exponential, runs natively only when its worst case is
-- small, and otherwise in Lua (patterns.lua), where the budgets count every step.
local NATIVE_STEPS = 100000

-- Loaded on a script's first pattern call (most scripts make none, and loading it is part of every run's cost).
local load_patterns, patterns_module = host.patterns, nil
local function patterns()
  if patterns_module == nil then
    patterns_module = load_patterns()
    if patterns_module == nil then
      rawerror(abort_reason() or "the sandbox's pattern matcher could not be loaded", 0)
    end
  end
  return patterns_module
end
local CHARGE_FROM = 1024
local floor, huge, tointeger = math.floor, math.huge, math.tointeger

local function pay(units)
  if units >= CHARGE_FROM then
    local message = charge(units >= 2^62 and 2^62 or floor(units))
    if message then
      rawerror(message, 0)
    end
  end
end

local function count(i, j)
  i, j = tointeger(i), tointeger(j)
  if i == nil or j == nil or j < i then
    return 0
  end
  return j - i + 1 -- may wrap for extreme bounds; such calls are refused as too large by C or charged huge
end

local native_find, native_match, native_gmatch, native_gsub = string.find, string.match, string.gmatch, string.gsub
local native_rep = string.rep

local function len_of(s)
  local t = rawtype(s)
  if t == "string" then return #s end
  if t == "number" then return #tostring(s) end
  return 0
end

local function too_costly(s, p, anchored)
  return patterns().worst_case(p, len_of(s), anchored) > NATIVE_STEPS
end

-- A plain search compares at most the needle's length at each place; with a short needle that is a scan, charged
-- lightly, while a long needle in repetitive text is the quadratic case.
local function plain_cost(s, p)
  local n, m = len_of(s), len_of(p)
  if m >= 64 and n >= m then
    return (n - m + 1) * m
  end
  return n // 16
end

local safe_string = copy(string)
safe_string.dump = nil
safe_string.find = function(s, p, init, plain)
  if plain or (rawtype(p) == "string" and not native_find(p, "[%^%$%*%+%?%.%(%[%%%-]")) then
    pay(plain_cost(s, p))
    return native_find(s, p, init, plain)
  end
  if too_costly(s, p, false) then
    return patterns().find(s, p, init, plain)
  end
  return native_find(s, p, init, plain)
end
for name, native in pairs({ match = native_match, gmatch = native_gmatch, gsub = native_gsub }) do
  safe_string[name] = function(s, p, ...)
    if too_costly(s, p, false) then
      return patterns()[name](s, p, ...)
    end
    return native(s, p, ...)
  end
end
safe_string.rep = function(s, n, sep)
  -- A non-empty result is allocated whole first, so the memory budget bounds it; an empty string repeated 2^62 times
  -- makes nothing, one empty copy at a time.
  local times = tointeger(n)
  if times ~= nil and times > 0 and len_of(s) + len_of(sep) == 0 then
    pay(times)
  end
  return native_rep(s, n, sep)
end
-- The string metatable serves the safe copy, and hides itself: getmetatable("") gives a string, not the table.
local string_meta = rawgetmetatable("")
string_meta.__index = safe_string
string_meta.__metatable = "the string metatable is read-only"

local safe_table = copy(table)
local native_move, native_concat, native_insert, native_remove, native_unpack = table.move, table.concat, table.insert, table.remove, table.unpack
safe_table.move = function(a1, f, e, t, a2)
  pay(count(f, e))
  return native_move(a1, f, e, t, a2)
end
safe_table.concat = function(list, sep, i, j)
  if rawtype(list) == "table" then
    pay(count(i or 1, j or rawlen(list)))
  end
  return native_concat(list, sep, i, j)
end
safe_table.insert = function(list, ...)
  -- Inserting at a position shifts every element after it.
  if select("#", ...) == 2 and rawtype(list) == "table" then
    pay(count((...), rawlen(list)))
  end
  return native_insert(list, ...)
end
safe_table.remove = function(list, pos)
  if pos ~= nil and rawtype(list) == "table" then
    pay(count(pos, rawlen(list)))
  end
  return native_remove(list, pos)
end
safe_table.unpack = function(list, i, j)
  if rawtype(list) == "table" then
    pay(count(i or 1, j or rawlen(list)))
  end
  return native_unpack(list, i, j)
end

env.string = readonly(safe_string, "string")
env.table = readonly(safe_table, "table")
env.math = readonly(copy(math), "math")
env.utf8 = readonly(copy(utf8), "utf8")
env.os = readonly({ time = os.time, clock = os.clock, date = os.date }, "os")

env.assert, env.error, env.ipairs, env.next, env.pairs, env.select = assert, rawerror, ipairs, next, pairs, select
env.tonumber, env.tostring, env.type, env.getmetatable = tonumber, tostring, rawtype, rawgetmetatable
env.rawequal, env.rawget, env.rawset, env.rawlen = rawequal, rawget, rawset, rawlen
env._VERSION = _VERSION

env.setmetatable = function(t, mt)
  -- Lua runs __gc finalizers with hooks off, so a finalizer would escape every budget.
  if rawtype(mt) == "table" and rawget(mt, "__gc") ~= nil then
    rawerror("__gc metamethods are not allowed in scripts", 2)
  end
  return rawsetmetatable(t, mt)
end

env.pcall = function(f, ...)
  return rethrow(rawpcall(f, ...))
end

-- A message handler runs at the point of the error, before the stack unwinds: one that raises again, or calls xpcall
-- with itself, recurses in C. Handlers are not run once a budget is spent (the budget's error goes on unwinding), and
-- at most a few run nested; deeper, the error is passed on as it is.
local handlers_running = 0
local MAX_NESTED_HANDLERS = 8
env.xpcall = function(f, handler, ...)
  local guarded = function(e)
    if abort_reason() or handlers_running >= MAX_NESTED_HANDLERS then
      return e
    end
    handlers_running = handlers_running + 1
    local _, result = rawpcall(handler, e)
    handlers_running = handlers_running - 1
    return result
  end
  return rethrow(rawxpcall(f, guarded, ...))
end

env.load = function(chunk, name, _, chunkenv)
  if rawtype(chunk) ~= "string" and rawtype(chunk) ~= "function" then
    rawerror("bad argument #1 to 'load' (string or function expected)", 2)
  end
  -- Text only: binary chunks can break the VM. The mode argument is ignored on purpose.
  return rawload(chunk, name, "t", chunkenv == nil and env or chunkenv)
end

env.collectgarbage = function(option)
  if option == nil or option == "collect" then
    rawcollect("collect")
    return 0
  elseif option == "count" then
    return rawcollect("count")
  end
  rawerror("collectgarbage('" .. tostring(option) .. "') is not allowed in scripts; use 'collect' or 'count'", 2)
end

env.print = function(...)
  local parts = {}
  for i = 1, select("#", ...) do
    parts[i] = tostring((select(i, ...)))
  end
  host.print(concat(parts, "\t"))
end

local coroutine_api = copy(coroutine)
coroutine_api.create = function(f)
  return hooked(cocreate(f))
end
coroutine_api.resume = function(co, ...)
  return rethrow(coresume(co, ...))
end
coroutine_api.close = function(co)
  return rethrow(coclose(co))
end
coroutine_api.wrap = function(f)
  local co = hooked(cocreate(f))
  local function resumed(ok, ...)
    if ok then
      return ...
    end
    local message = abort_reason()
    if message then
      rawerror(message, 0)
    end
    coclose(co)
    rawerror((...), 0)
  end
  return function(...)
    return resumed(coresume(co, ...))
  end
end
env.coroutine = readonly(coroutine_api, "coroutine")

-- The state API of one scope binding (State, workflow.state, step.state).
local function state_api(id, name)
  local get, set, delete, list, exists, history = host.get, host.set, host.delete, host.list, host.exists, host.history
  local merge, update, ttl, commit, clear = host.merge, host.update, host.ttl, host.commit, host.clear
  local api = {
    get = function(key) return (finish(get(id, key))) end,
    set = function(key, value, options) return (finish(set(id, key, value, options))) end,
    delete = function(key) return (finish(delete(id, key))) end,
    clear = function(what) return (finish(clear(id, what))) end,
    list = function(prefix) return (finish(list(id, prefix))) end,
    exists = function(key) return (finish(exists(id, key))) end,
    history = function(key) return (finish(history(id, key))) end,
    merge = function(key, patch) return (finish(merge(id, key, patch))) end,
    update = function(key, fn)
      if rawtype(fn) ~= "function" then
        rawerror(name .. ".update: the second argument must be a function(current) returning the new value", 2)
      end
      return (finish(update(id, key, fn)))
    end,
    ttl = function(key, seconds) return (finish(ttl(id, key, seconds))) end,
    commit = function() return (finish(commit())) end,
  }
  return readonly(api, name)
end

for _, binding in ipairs(config.bindings) do
  local api = state_api(binding.id, binding.path)
  if binding.path == "State" then
    env.State = api
  elseif binding.path == "workflow.state" then
    env.workflow = readonly({ state = api, id = config.workflow_id }, "workflow")
  elseif binding.path == "step.state" then
    env.step = readonly({ state = api, name = config.step_name }, "step")
  end
end

-- A migration reaches every scope by its path: migration.scope("workflow:run_1:") is a state API like State.
if config.migration ~= nil then
  local bind, scopes = host.bind, host.scopes
  local bound = {}
  env.migration = readonly({
    version = config.migration.version,
    scope = function(path)
      local api = bound[path]
      if api == nil then
        local id = finish(bind(path))
        api = state_api(id, "migration.scope('" .. path .. "')")
        bound[path] = api
      end
      return api
    end,
    scopes = function() return (finish(scopes())) end,
  }, "migration")
end

-- A phase that sees no state (a flow step's exec) still knows where it runs.
if env.workflow == nil and config.workflow_id ~= nil then
  env.workflow = readonly({ id = config.workflow_id }, "workflow")
end
if env.step == nil and config.step_name ~= nil then
  env.step = readonly({ name = config.step_name }, "step")
end

env.args = config.args
env._G = env
rawsetmetatable(env, { __metatable = "the script environment is protected" })

-- Nothing after this chunk needs the dangerous libraries: drop them from the real globals as well.
for _, name in ipairs({ "io", "os", "debug", "package", "require", "dofile", "loadfile", "load", "collectgarbage" }) do
  _G[name] = nil
end

sethook(hook, "", interval)
return env

using Xunit;

namespace FlowState.Lua.Tests;

/// <summary>
/// The attack corpus: each script first writes a key, then tries to escape the sandbox, hang the host or exhaust it.
/// Each must end in a <see cref="ScriptException"/> within its budget, with nothing written, and the host must go on
/// running scripts.
/// </summary>
public sealed class LuaSandboxAttackTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    private readonly StateStore _store = new();

    // Off the test's thread, so that the guard can fail a test whose script hangs (a script runs on its caller's thread).
    private static Task<LuaScriptResult> Guarded(Func<Task<LuaScriptResult>> run) => Task.Run(run).WaitAsync(Hang);

    private readonly LuaScriptOptions _budgets = new()
    {
        MaxInstructions = 20_000_000,
        Timeout = TimeSpan.FromSeconds(10),
        MaxMemoryBytes = 16L * 1024 * 1024,
        MaxCallDepth = 100,
    };

    public static TheoryData<string, string, ScriptBudget> Attacks => new()
    {
        { "os.execute('touch /tmp/flowstate-pwned')", "field 'execute'", ScriptBudget.None },
        { "os.exit(1)", "field 'exit'", ScriptBudget.None },
        { "io.open('/etc/passwd')", "global 'io'", ScriptBudget.None },
        { "require('os')", "global 'require'", ScriptBudget.None },
        { "dofile('/etc/passwd')", "global 'dofile'", ScriptBudget.None },
        { "loadfile('/etc/passwd')", "global 'loadfile'", ScriptBudget.None },
        { "package.loadlib('libc.so.6', 'system')", "global 'package'", ScriptBudget.None },
        { "load(string.dump(function() end))()", "field 'dump'", ScriptBudget.None },
        { "assert(load('\\27Lua\\84\\0', 'x', 'b'))()", "attempt to load a binary chunk", ScriptBudget.None },
        { "assert(load(function() return '\\27Lua\\84\\0' end))()", "attempt to load a binary chunk", ScriptBudget.None },
        { "debug.getregistry()", "global 'debug'", ScriptBudget.None },
        { "debug.sethook()", "global 'debug'", ScriptBudget.None },
        { "setmetatable(_G, { __index = function() return os end })", "cannot change a protected metatable", ScriptBudget.None },
        { "getmetatable('').__index.upper = nil", "attempt to index a nil value", ScriptBudget.None },
        { "string.upper = function() return 'owned' end", "string is read-only", ScriptBudget.None },
        { "State.set = function() end", "State is read-only", ScriptBudget.None },
        { "luanet.import_type('System.IO.File')", "global 'luanet'", ScriptBudget.None },
        { "import('System.IO')", "global 'import'", ScriptBudget.None },
        { "collectgarbage('stop')", "collectgarbage('stop') is not allowed", ScriptBudget.None },
        { "setmetatable({}, { __gc = function() while true do end end })", "__gc metamethods are not allowed", ScriptBudget.None },
        { "while true do end", "instruction budget exceeded", ScriptBudget.Instructions },
        { "local function f() return 1 + f() end f()", "call depth budget exceeded", ScriptBudget.CallDepth },
        { "local function f() return f() end f()", "instruction budget exceeded", ScriptBudget.Instructions },
        { "local s = string.rep('x', 2^31)", "resulting string too large", ScriptBudget.None },
        { "local s = string.rep('x', 2^27)", "memory budget exceeded", ScriptBudget.Memory },
        { "local t = {} while true do t[#t + 1] = 'grow' end", "memory budget exceeded", ScriptBudget.Memory },
        { "local t = {} local i = 0 while true do i = i + 1 t[i] = {i} end", "memory budget exceeded", ScriptBudget.Memory },
        { "return string.format('%99999999d', 1)", "invalid conversion specification: '%99999999d'", ScriptBudget.None },
        { "local co = coroutine.wrap(function() while true do coroutine.yield() end end) while true do co() end", "instruction budget exceeded", ScriptBudget.Instructions },
        { "local co = coroutine.create(function() while true do end end) while true do coroutine.resume(co) end", "instruction budget exceeded", ScriptBudget.Instructions },
        { "error(setmetatable({}, { __tostring = function() while true do end end }))", "an error object of type table", ScriptBudget.None },
        { "xpcall(function() error(setmetatable({}, { __tostring = function() while true do end end })) end, function(e) return tostring(e) end)", "instruction budget exceeded", ScriptBudget.Instructions },
        { "while true do pcall(function() while true do end end) end", "instruction budget exceeded", ScriptBudget.Instructions },
        { "while true do xpcall(function() local t = {} while true do t[#t + 1] = t end end, function() end) end", "memory budget exceeded", ScriptBudget.Memory },
        { "table.sort({ 3, 2, 1, 5, 4 }, function(a, b) while true do end end)", "instruction budget exceeded", ScriptBudget.Instructions },
        { "string.gsub(string.rep('a', 100), 'a', function() while true do end end)", "instruction budget exceeded", ScriptBudget.Instructions },
        { "local t = setmetatable({}, { __index = function(t, k) return t[k + 1] end }) return t[1]", "C stack overflow", ScriptBudget.None },
        { "local ok = pcall(function() while true do end end) State.set('escaped', ok)", "instruction budget exceeded", ScriptBudget.Instructions },

        // Single library calls that run in C, where the hook never fires: each is charged or matched in Lua.
        { "string.find(('a'):rep(28), ('a?'):rep(28) .. ('a'):rep(28) .. 'b')", "instruction budget exceeded", ScriptBudget.Instructions },
        { "string.gsub(string.rep('x', 3000), '(%w+)(%w+)(%w+)y', '%3')", "instruction budget exceeded", ScriptBudget.Instructions },
        { "for w in string.gmatch(string.rep('ab', 2000), '(.-)(.-)(.-)c') do end", "instruction budget exceeded", ScriptBudget.Instructions },
        { "table.move({}, 1, math.maxinteger - 1, 2)", "instruction budget exceeded", ScriptBudget.Instructions },
        { "table.move({}, 1, 2e9, 2)", "instruction budget exceeded", ScriptBudget.Instructions },
        { "string.rep('', math.maxinteger)", "instruction budget exceeded", ScriptBudget.Instructions },
        { "table.concat({}, '', 1, math.maxinteger)", "instruction budget exceeded", ScriptBudget.Instructions },
        { "local t = {} for i = 1, 100000 do t[i] = i end while true do table.insert(t, 1, 0) table.remove(t, 1) end", "instruction budget exceeded", ScriptBudget.Instructions },
        { "string.find(string.rep('a', 1000000), string.rep('a', 100000) .. 'b', 1, true)", "instruction budget exceeded", ScriptBudget.Instructions },

        // Keys that are not UTF-8 would all decode to U+FFFD and overwrite each other.
        { "State.set('k\\255', 1) State.set('k\\254', 2)", "State.set: the key is not valid UTF-8 (byte 2 of 2)", ScriptBudget.None },
        { "State.list('\\255')", "State.list: the prefix is not valid UTF-8", ScriptBudget.None },

        // CVE-2022-28805 (Lua 5.4.0-5.4.3: a constant _ENV read out of bounds); fixed in the bundled Lua.
        { "local _ENV <const> = 45 AA = 34", "attempt to index a number value", ScriptBudget.None },
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Attack_ends_in_a_typed_error_within_budget_and_writes_nothing(string attack, string expected, ScriptBudget budget)
    {
        var host = new LuaScriptHost(_store, _budgets);

        var error = await Assert.ThrowsAsync<ScriptException>(() => Guarded(() => host.RunAsync("State.set('attack', 'wrote')\n" + attack)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(budget, error.Budget);
        Assert.Equal(0, await _store.For(StateScope.Global).CountAsync());
        Assert.False(File.Exists("/tmp/flowstate-pwned"));
        var after = await host.RunAsync("State.set('after', 1) return 'alive'");
        Assert.Equal("\"alive\"", after.Values[0].GetRawText());
    }

    [Fact]
    public async Task A_message_handler_that_calls_xpcall_with_itself_ends_at_once()
    {
        var host = new LuaScriptHost(_store, _budgets);

        var result = await Guarded(() => host.RunAsync("local function h(e) return xpcall(error, h, e) end return xpcall(error, h, 'x')"));

        Assert.Equal("false", result.Values[0].GetRawText());
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(5), $"took {result.Elapsed}");
    }

    [Fact]
    public async Task A_handler_that_fails_again_is_not_run_past_a_spent_budget()
    {
        var host = new LuaScriptHost(_store, _budgets);

        var error = await Assert.ThrowsAsync<ScriptException>(() => Guarded(() => host.RunAsync("""
            State.set("a", 1)
            local function h(e) while true do end end
            xpcall(function() while true do end end, h)
            """)));

        Assert.Equal(ScriptBudget.Instructions, error.Budget);
        Assert.Equal(0, await _store.For(StateScope.Global).CountAsync());
    }

    [Theory]
    [InlineData("string.find(('a'):rep(28), ('a?'):rep(28) .. ('a'):rep(28) .. 'b')")]
    [InlineData("table.move({}, 1, math.maxinteger - 1, 2)")]
    [InlineData("local s = string.rep('x', 1000000) while true do s = s .. 'y' end")]
    public async Task A_long_library_call_is_stopped_by_the_time_budget_without_an_instruction_budget(string attack)
    {
        var host = new LuaScriptHost(_store, new LuaScriptOptions { MaxInstructions = long.MaxValue, Timeout = TimeSpan.FromSeconds(1), MaxMemoryBytes = 1L << 40 });
        var started = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<ScriptException>(() => Guarded(() => host.RunAsync("State.set('a', 1)\n" + attack)));

        Assert.Equal(ScriptBudget.WallTime, error.Budget);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"stopped after {started.Elapsed}");
        Assert.Equal(0, await _store.For(StateScope.Global).CountAsync());
    }

    [Fact]
    public async Task Cancellation_stops_a_pattern_that_backtracks_for_ever()
    {
        var host = new LuaScriptHost(_store, new LuaScriptOptions { MaxInstructions = long.MaxValue, Timeout = TimeSpan.FromMinutes(5) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Guarded(() => host.RunAsync(
            "State.set('a', 1) string.find(('a'):rep(40), ('a?'):rep(40) .. ('a'):rep(40) .. 'b')", null, cancel.Token)));

        Assert.Equal(0, await _store.For(StateScope.Global).CountAsync());
    }

    [Fact]
    public async Task The_time_budget_stops_a_script_that_stays_under_its_instruction_budget()
    {
        var host = new LuaScriptHost(_store, new LuaScriptOptions { MaxInstructions = long.MaxValue, Timeout = TimeSpan.FromMilliseconds(300) });

        var error = await Assert.ThrowsAsync<ScriptException>(() => Guarded(() => host.RunAsync("State.set('a', 1) while true do end")));

        Assert.Equal(ScriptBudget.WallTime, error.Budget);
        Assert.Contains("time budget exceeded", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await _store.For(StateScope.Global).CountAsync());
    }

    [Fact]
    public async Task A_budget_spent_inside_an_update_function_stops_the_script()
    {
        await _store.For(StateScope.Global).SetAsync("counter", 1);
        var host = new LuaScriptHost(_store, _budgets);

        var error = await Assert.ThrowsAsync<ScriptException>(() => Guarded(() => host.RunAsync("""
            local ok = pcall(State.update, "counter", function(n) while true do end end)
            State.set("escaped", ok)
            """)));

        Assert.Equal(ScriptBudget.Instructions, error.Budget);
        Assert.Equal(1, await _store.For(StateScope.Global).GetAsync<int>("counter"));
        Assert.False(await _store.For(StateScope.Global).ExistsAsync("escaped"));
    }

    [Fact]
    public async Task Cancellation_stops_a_running_script_and_writes_nothing()
    {
        var host = new LuaScriptHost(_store, new LuaScriptOptions { MaxInstructions = long.MaxValue, Timeout = TimeSpan.FromMinutes(5) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Guarded(() => host.RunAsync("State.set('a', 1) while true do end", null, cancel.Token)));

        Assert.Equal(0, await _store.For(StateScope.Global).CountAsync());
    }

    [Fact]
    public async Task Scripts_cannot_reach_the_real_globals_or_dotnet()
    {
        var result = await new LuaScriptHost(_store, _budgets).RunAsync("""
            local seen = {}
            for name in pairs(_G) do seen[#seen + 1] = name end
            table.sort(seen)
            return table.concat(seen, ","), load("return _G")() == _G, getmetatable(State), getmetatable("")
            """);

        Assert.Equal(
            "\"State,_G,_VERSION,assert,collectgarbage,coroutine,error,getmetatable,ipairs,load,math,next,os,pairs,pcall,print,rawequal,rawget,rawlen,rawset,select,setmetatable,string,table,tonumber,tostring,type,utf8,xpcall\"",
            result.Values[0].GetRawText());
        Assert.Equal("true", result.Values[1].GetRawText());
        Assert.Equal("false", result.Values[2].GetRawText());
        Assert.Equal("\"the string metatable is read-only\"", result.Values[3].GetRawText());
    }

    [Fact]
    public async Task Os_keeps_only_time_clock_and_date()
    {
        var result = await new LuaScriptHost(_store, _budgets).RunAsync("""
            local names = {}
            for name in pairs(os) do names[#names + 1] = name end
            table.sort(names)
            return table.concat(names, ","), type(os.time()), os.date("%Y", 0)
            """);

        Assert.Equal("\"clock,date,time\"", result.Values[0].GetRawText());
        Assert.Equal("\"number\"", result.Values[1].GetRawText());
        Assert.Equal("\"1970\"", result.Values[2].GetRawText());
    }

    [Fact]
    public async Task One_scripts_globals_are_not_seen_by_the_next()
    {
        var host = new LuaScriptHost(_store, _budgets);
        await host.RunAsync("leaked = 'secret' string_meta_hack = true");

        var result = await host.RunAsync("return leaked == nil, string_meta_hack == nil");

        Assert.Equal(["true", "true"], result.Values.Select(v => v.GetRawText()));
    }
}

using Xunit;

namespace FlowState.Lua.Tests;

public sealed class LuaValueConversionTests
{
    private readonly StateStore _store = new();

    private async Task<string> StoredJsonOf(string luaValue)
    {
        await new LuaScriptHost(_store).RunAsync($"State.set(\"v\", {luaValue})");
        var entry = await _store.For(StateScope.Global).GetEntryAsync("v");
        return System.Text.Encoding.UTF8.GetString(entry!.Value.Span);
    }

    [Theory]
    [InlineData("{1, 2, 3}", "[1,2,3]")]
    [InlineData("{1, nil, 3}", "[1,null,3]")]
    [InlineData("{[1] = 'a', [3] = 'c', [5] = 'e'}", "[\"a\",null,\"c\",null,\"e\"]")]
    [InlineData("{[1] = 'a', [10] = 'j'}", "{\"1\":\"a\",\"10\":\"j\"}")]
    [InlineData("{}", "{}")]
    [InlineData("{1, 2, x = 3}", "{\"1\":1,\"2\":2,\"x\":3}")]
    [InlineData("{[0] = 'zero'}", "{\"0\":\"zero\"}")]
    [InlineData("{a = {b = {c = 1}}}", "{\"a\":{\"b\":{\"c\":1}}}")]
    [InlineData("3", "3")]
    [InlineData("3.0", "3.0")]
    [InlineData("-0.0", "-0.0")]
    [InlineData("1e300", "1E+300")]
    [InlineData("math.maxinteger", "9223372036854775807")]
    [InlineData("'héllo \"q\"'", "\"h\\u00E9llo \\u0022q\\u0022\"")]
    [InlineData("false", "false")]
    public async Task Lua_values_become_json_as_documented(string lua, string json)
    {
        Assert.Equal(json, await StoredJsonOf(lua));
    }

    [Theory]
    [InlineData("[1,2,3]", "return #v, v[3]", "3|3")]
    [InlineData("[1,null,3]", "return v[1], v[2] == nil, v[3]", "1|true|3")]
    [InlineData("{\"a\":null,\"b\":1}", "local n = 0 for _ in pairs(v) do n = n + 1 end return n, v.b", "1|1")]
    [InlineData("12345678901234567890", "return math.type(v)", "\"float\"")]
    [InlineData("1e2", "return math.type(v), v", "\"float\"|100.0")]
    [InlineData("-7", "return math.type(v), v", "\"integer\"|-7")]
    [InlineData("[]", "return type(v), next(v) == nil", "\"table\"|true")]
    public async Task Json_values_become_lua_as_documented(string json, string script, string expected)
    {
        await _store.For(StateScope.Global).SetRawAsync("v", System.Text.Encoding.UTF8.GetBytes(json));

        var result = await new LuaScriptHost(_store).RunAsync("local v = State.get('v')\n" + script);

        Assert.Equal(expected, string.Join('|', result.Values.Select(v => v.GetRawText())));
    }

    [Fact]
    public async Task A_table_written_and_read_back_is_the_same_table()
    {
        var result = await new LuaScriptHost(_store).RunAsync("""
            local original = { list = { 1, 2.5, "three", { four = 4 } }, flags = { on = true, off = false }, holes = { 1, nil, 3 } }
            State.set("t", original)
            local back = State.get("t")
            return back.list[2], math.type(back.list[1]), back.list[4].four, back.flags.off, back.holes[3], back.holes[2]
            """);

        Assert.Equal("2.5|\"integer\"|4|false|3|null", string.Join('|', result.Values.Select(v => v.GetRawText())));
    }

    [Theory]
    [InlineData("function() end", "State.set('v') value is a function, which cannot be stored as JSON")]
    [InlineData("{ handler = print }", "State.set('v') value.handler is a function")]
    [InlineData("{ co = coroutine.create(function() end) }", "value.co is a thread")]
    [InlineData("0/0", "is NaN")]
    [InlineData("{ x = { 1/0 } }", "value.x[1] is inf")]
    [InlineData("-1/0", "is -inf")]
    [InlineData("'\\xff\\xfe'", "is not valid UTF-8")]
    [InlineData("{ [true] = 1 }", "has a boolean as a key")]
    [InlineData("{ [1.5] = 1 }", "has the key 1.5")]
    [InlineData("{ [1] = 'a', ['1'] = 'b', [3] = 'c', [4] = 'd', [6] = 'e' }", "has the key \"1\" twice")]
    public async Task Values_that_cannot_be_json_raise_a_clear_error_and_write_nothing(string lua, string expected)
    {
        var error = await Assert.ThrowsAsync<ScriptException>(() => new LuaScriptHost(_store).RunAsync($"State.set('before', 1)\nState.set('v', {lua})"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await _store.For(StateScope.Global).CountAsync());
    }

    [Fact]
    public async Task A_cyclic_table_raises_a_clear_error_and_writes_nothing()
    {
        var error = await Assert.ThrowsAsync<ScriptException>(() => new LuaScriptHost(_store).RunAsync("""
            local t = { name = "loop" }
            t.self = t
            State.set("v", t)
            """));

        Assert.Contains("value.self contains itself", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await _store.For(StateScope.Global).CountAsync());
    }

    [Fact]
    public async Task A_table_nested_deeper_than_the_limit_is_refused()
    {
        var error = await Assert.ThrowsAsync<ScriptException>(() => new LuaScriptHost(_store).RunAsync("""
            local t = {}
            local cur = t
            for i = 1, 100 do cur.next = {} cur = cur.next end
            State.set("v", t)
            """));

        Assert.Contains("nests deeper than 64 levels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metatables_are_ignored_when_converting()
    {
        var result = await new LuaScriptHost(_store).RunAsync("""
            local t = setmetatable({ real = 1 }, { __index = function() error("never called") end, __pairs = function() error("never called") end })
            State.set("v", t)
            return State.get("v").real
            """);

        Assert.Equal("1", result.Values[0].GetRawText());
    }
}

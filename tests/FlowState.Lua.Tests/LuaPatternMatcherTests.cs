using System.Text;
using KeraLua;
using Xunit;

namespace FlowState.Lua.Tests;

/// <summary>
/// The sandbox's Lua-written pattern matcher (used when a native match could run unbounded) agrees with Lua's own:
/// find, match, gmatch and gsub over a corpus of patterns and subjects, results and error messages alike.
/// </summary>
public sealed class LuaPatternMatcherTests
{
    private const string Comparison = """
        local M = ...
        local cases = {
          { "hello world", "o" }, { "hello world", "o", 6 }, { "hello world", "o", -3 }, { "hello", "l+" },
          { "hello", "^h(.-)o$" }, { "  trim me  ", "^%s*(.-)%s*$" }, { "key = value", "^(%w+)%s*=%s*(%w+)$" },
          { "a,b,,c", "([^,]*)" }, { "THE (quick) fox", "%((%a+)%)" }, { "f(a(b)c)d", "%b()" }, { "THE quick", "%f[%a]%a+" },
          { "abcabc", "(abc)%1" }, { "x = 10, y = 20", "(%a)%s*=%s*(%d+)" }, { "2026-12-05", "(%d+)-(%d+)-(%d+)" },
          { "[tag]", "%[(.-)%]" }, { "a.b.c", "%." }, { "a.b.c", ".", 1 }, { "aaa", "a-" }, { "aaa", "a-$" },
          { "aaab", "a*b" }, { "b", "a?b" }, { "", "" }, { "", "^$" }, { "abc", "" }, { "abc", "()b()" },
          { "hello", "[aeiou]" }, { "hello", "[^aeiou]+" }, { "x-y", "[a-z]%-[a-z]" }, { "tab\there", "%c" },
          { "MiXeD", "%u%l" }, { "0x1F", "%x+$" }, { "a+b", "a+b" }, { "a+b", "a%+b" }, { "é", "." },
          { "abc", "[]" }, { "abc", "%" }, { "abc", "(()" }, { "abc", "%1" }, { "abc", "%f" }, { "abc", "%b" },
          { "abc", "[a" }, { "abc", "(a)(b)(c)%4" }, { "hello world from lua", "(%w+) (%w+)" }, { "one two", "^(%w+)", 5 },
        }
        local function pack(...) return { n = select("#", ...), ... } end
        local function same(a, b)
          if a.n ~= b.n then return false end
          for i = 1, a.n do if a[i] ~= b[i] then return false end end
          return true
        end
        local function show(r)
          local parts = {}
          for i = 1, r.n do parts[i] = tostring(r[i]) end
          return "(" .. table.concat(parts, ", ") .. ")"
        end
        local problems = {}
        local function compare(what, f1, f2, ...)
          local a, b = pack(pcall(f1, ...)), pack(pcall(f2, ...))
          if not a[1] and not b[1] then
            -- the native message carries "bad argument #n to 'find'" etc. or the pattern error; compare the pattern part
            local ma, mb = tostring(a[2]):gsub("^[%w_]+:%d+: ", ""), tostring(b[2]):gsub("^[%w_]+:%d+: ", "")
            if not ma:find(mb, 1, true) and not mb:find(ma, 1, true) then
              problems[#problems + 1] = what .. ": errors differ: " .. ma .. " | " .. mb
            end
          elseif not same(a, b) then
            problems[#problems + 1] = what .. ": " .. show(a) .. " vs " .. show(b)
          end
        end
        local function all(f) return function(...) local out = {} for a, b, c in f(...) do out[#out + 1] = tostring(a) .. "|" .. tostring(b) .. "|" .. tostring(c) end return table.concat(out, ";") end end
        for i, c in ipairs(cases) do
          local s, p, init = c[1], c[2], c[3]
          compare(i .. " find " .. p, string.find, M.find, s, p, init)
          compare(i .. " plain " .. p, string.find, M.find, s, p, init, true)
          compare(i .. " match " .. p, string.match, M.match, s, p, init)
          compare(i .. " gmatch " .. p, all(string.gmatch), all(M.gmatch), s, p, init)
          compare(i .. " gsub " .. p, string.gsub, M.gsub, s, p, "<%0>")
          compare(i .. " gsub1 " .. p, string.gsub, M.gsub, s, p, "[%1]", 2)
          compare(i .. " gsubf " .. p, string.gsub, M.gsub, s, p, function(x) return x and x:upper() end)
          compare(i .. " gsubt " .. p, string.gsub, M.gsub, s, p, { a = "A", hello = false })
        end
        return table.concat(problems, "\n")
        """;

    [Fact]
    public void The_lua_written_matcher_agrees_with_the_native_one()
    {
        using var lua = new KeraLua.Lua();
        using var resource = typeof(LuaScriptHost).Assembly.GetManifestResourceStream("FlowState.Lua.patterns.lua")!;
        using var copy = new MemoryStream();
        resource.CopyTo(copy);
        Assert.Equal(LuaStatus.OK, lua.LoadBuffer(copy.ToArray(), "=patterns", "t"));
        Assert.Equal(LuaStatus.OK, lua.PCall(0, 1, 0));
        Assert.Equal(LuaStatus.OK, lua.LoadBuffer(Encoding.UTF8.GetBytes(Comparison), "=comparison", "t"));
        lua.Insert(-2);

        Assert.True(lua.PCall(1, 1, 0) == LuaStatus.OK, lua.ToString(-1));
        var problems = lua.ToString(-1);
        Assert.True(problems.Length == 0, problems);
    }
}

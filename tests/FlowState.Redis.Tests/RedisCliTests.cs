using FlowState.Cli;
using Xunit;

namespace FlowState.Redis.Tests;

/// <summary>The <c>flowstate</c> state commands on a shared store in Redis: <c>--store redis:prefix:configuration</c>.</summary>
[Collection(SharedRedisServer.Name)]
public sealed class RedisCliTests(RedisServer server)
{
    private readonly string _store = $"redis:cli{Guid.NewGuid():N}:{server.Configuration}";

    [Fact]
    public async Task State_commands_edit_a_shared_store()
    {
        var set = await InProcessCli.RunAsync("state", "set", "status", "\"running\"", "--scope", "workflow:order-7", "--store", _store);
        var get = await InProcessCli.RunAsync("state", "get", "status", "--scope", "workflow:order-7", "--store", _store);
        var list = await InProcessCli.RunAsync("state", "list", "--store", _store);
        var delete = await InProcessCli.RunAsync("state", "delete", "status", "--scope", "workflow:order-7", "--yes", "--store", _store);
        var missing = await InProcessCli.RunAsync("state", "get", "status", "--scope", "workflow:order-7", "--store", _store);

        Assert.Equal((0, string.Empty), (set.Code, set.Error));
        Assert.Equal("\"running\"", get.Out.Trim());
        Assert.Contains("workflow:order-7:", list.Out, StringComparison.Ordinal);
        Assert.Contains("1 key(s)", list.Out, StringComparison.Ordinal);
        Assert.Equal(0, delete.Code);
        Assert.Equal(1, missing.Code);
        Assert.DoesNotContain(server.Configuration, set.Out + list.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_prints_the_changes_other_processes_commit()
    {
        var watch = InProcessCli.RunAsync("state", "watch", "--scope", "workflow:watched", "--count", "2", "--store", _store);

        // The watch subscribes when it starts: write until it has seen two changes.
        for (var i = 0; !watch.IsCompleted && i < 100; i++)
        {
            await InProcessCli.RunAsync("state", "set", $"k{i}", $"{{\"n\":{i}}}", "--scope", "workflow:watched", "--store", _store);
            await InProcessCli.RunAsync("state", "set", "elsewhere", "0", "--scope", "workflow:other", "--store", _store);
            await Task.WhenAny(watch, Task.Delay(100));
        }

        var (code, output, error) = await watch;
        Assert.Equal((0, string.Empty), (code, error));
        var lines = output.Trim().Split('\n');
        Assert.StartsWith("watching workflow:watched: on redis:cli", lines[0], StringComparison.Ordinal);
        Assert.Equal(3, lines.Length);
        Assert.All(lines[1..], line => Assert.Matches("^set workflow:watched:k[0-9]+ @[0-9]+ \\{\"n\":[0-9]+\\}$", line));
    }

    [Fact]
    public async Task Lua_run_runs_a_script_on_the_shared_store()
    {
        var script = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(script, """return workflow.state.update("visits", function(n) return (n or 0) + 1 end)""");
        (int Code, string Out, string Error) first, second;
        try
        {
            first = await InProcessCli.RunAsync("lua", "run", script, "--workflow", "order-9", "--store", _store, "--json");
            second = await InProcessCli.RunAsync("lua", "run", script, "--workflow", "order-9", "--store", _store, "--json");
        }
        finally
        {
            File.Delete(script);
        }

        var get = await InProcessCli.RunAsync("state", "get", "visits", "--scope", "workflow:order-9:", "--store", _store);

        Assert.Equal(0, first.Code);
        Assert.Contains("\"values\": [\n    1\n  ]", first.Out.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Equal(0, second.Code);
        Assert.Equal((0, "2"), (get.Code, get.Out.Trim()));
    }

    [Fact]
    public async Task Commands_that_need_a_store_of_their_own_refuse_a_shared_one()
    {
        var runs = await InProcessCli.RunAsync("runs", "list", "--store", _store);
        var watchLocal = await InProcessCli.RunAsync("state", "watch", "--store", Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.db"));
        var badStore = await InProcessCli.RunAsync("state", "list", "--store", "redis:127.0.0.1");

        Assert.Equal(1, runs.Code);
        Assert.Contains("shared store", runs.Error, StringComparison.Ordinal);
        Assert.Equal(1, watchLocal.Code);
        Assert.Contains("not a shared store", watchLocal.Error, StringComparison.Ordinal);
        Assert.Equal(2, badStore.Code);
        Assert.Contains("redis:<key prefix>:<configuration>", badStore.Error, StringComparison.Ordinal);
    }
}

using System.Text.Json;

namespace FlowState.Cli.Tests;

public sealed class StateCommandsTests : CliTestBase
{
    [Theory]
    [InlineData("1e300")]
    [InlineData("-5")]
    [InlineData("0")]
    public async Task A_ttl_out_of_range_is_a_usage_error_naming_the_range(string ttl)
    {
        var (code, _, error) = await RunAsync("state", "set", "k", "1", "--ttl", ttl);

        Assert.Equal(2, code);
        Assert.Contains("--ttl must be a number of seconds above 0 and at most 3155760000 (100 years)", error, StringComparison.Ordinal);
        Assert.Equal(1, (await RunAsync("state", "get", "k")).Code);
    }

    [Fact]
    public async Task Keys_with_bidirectional_or_invisible_characters_are_listed_as_escapes()
    {
        await RunAsync("state", "set", "admin\u202Etxt.exe", "1");
        await RunAsync("state", "set", "zero\u200Bwidth", "2");

        var (code, output, _) = await RunAsync("state", "list");

        Assert.Equal(0, code);
        Assert.Contains("admin\\u{202E}txt.exe", output, StringComparison.Ordinal);
        Assert.Contains("zero\\u{200B}width", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u202E", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_get_list_and_delete_work_on_scopes()
    {
        Assert.Equal(0, (await RunAsync("state", "set", "doc", """{"title":"T","pages":3}""", "--scope", "workflow:run_1:")).Code);
        Assert.Equal(0, (await RunAsync("state", "set", "cursor", "7", "--scope", "workflow:run_1:step:fetch")).Code);
        Assert.Equal(0, (await RunAsync("state", "set", "greeting", "\"hi\"")).Code);

        var get = await RunAsync("state", "get", "doc", "--scope", "workflow:run_1:");
        var list = await RunAsync("state", "list", "--scope", "workflow:run_1:");
        var unconfirmed = await RunAsync("state", "delete", "cursor", "--scope", "workflow:run_1:step:fetch:");
        var kept = await RunAsync("state", "get", "cursor", "--scope", "workflow:run_1:step:fetch:");
        var delete = await RunAsync("state", "delete", "cursor", "--scope", "workflow:run_1:step:fetch:", "--yes");
        var afterDelete = await RunAsync("state", "get", "cursor", "--scope", "workflow:run_1:step:fetch:");

        Assert.Equal((0, "{\n  \"title\": \"T\",\n  \"pages\": 3\n}"), (get.Code, get.Out.Trim().ReplaceLineEndings("\n")));
        Assert.Contains("2 key(s)", list.Out, StringComparison.Ordinal);
        Assert.Contains("workflow:run_1:step:fetch:", list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("greeting", list.Out, StringComparison.Ordinal);
        Assert.Equal((2, "error: this removes the key 'cursor' of scope workflow:run_1:step:fetch: (version 2, 7 bytes); pass --yes to confirm"), (unconfirmed.Code, unconfirmed.Error.Trim()));
        Assert.Equal((0, "7"), (kept.Code, kept.Out.Trim()));
        Assert.Equal(0, delete.Code);
        Assert.Equal(1, afterDelete.Code);
        Assert.Contains("no key 'cursor'", afterDelete.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clear_deletes_a_scope_s_own_keys_or_its_subtree_as_asked()
    {
        await RunAsync("state", "set", "setting", "1");
        await RunAsync("state", "set", "doc", "2", "--scope", "workflow:run_1:");
        await RunAsync("state", "set", "cursor", "3", "--scope", "workflow:run_1:step:fetch:");

        var neither = await RunAsync("state", "clear", "--yes");
        var both = await RunAsync("state", "clear", "--own", "--subtree", "--yes");
        var unconfirmed = await RunAsync("state", "clear", "--own");
        var own = await RunAsync("state", "clear", "--own", "--yes", "--json");
        var afterOwn = await RunAsync("state", "list", "--json");
        var subtree = await RunAsync("state", "clear", "--scope", "workflow:run_1:", "--subtree", "--yes");
        var afterSubtree = await RunAsync("state", "list");

        Assert.Equal(2, neither.Code);
        Assert.Contains("say what to clear: --own (the scope's own keys) or --subtree", neither.Error, StringComparison.Ordinal);
        Assert.Equal(2, both.Code);
        Assert.Equal((2, "error: this removes the 1 own key(s) of scope (global) (child scopes keep theirs); pass --yes to confirm"), (unconfirmed.Code, unconfirmed.Error.Trim()));
        Assert.Equal(0, own.Code);
        Assert.Equal(1, JsonDocument.Parse(own.Out).RootElement.GetProperty("deleted").GetInt32());
        Assert.Equal("scopeOnly", JsonDocument.Parse(own.Out).RootElement.GetProperty("extent").GetString());
        Assert.Equal(2, JsonDocument.Parse(afterOwn.Out).RootElement.GetProperty("count").GetInt32());
        Assert.Equal((0, "deleted 2 key(s) of workflow:run_1: and its child scopes"), (subtree.Code, subtree.Out.Trim()));
        Assert.Contains("0 key(s)", afterSubtree.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_json_is_refused_and_nothing_is_written()
    {
        await RunAsync("state", "set", "kept", "1");

        var bad = await RunAsync("state", "set", "kept", "{broken");
        var get = await RunAsync("state", "get", "kept");

        Assert.Equal(1, bad.Code);
        Assert.Contains("not one well-formed JSON value", bad.Error, StringComparison.Ordinal);
        Assert.Equal("1", get.Out.Trim());
    }

    [Fact]
    public async Task A_mistyped_command_is_a_usage_error_that_suggests_the_right_one()
    {
        var (code, output, error) = await RunAsync("sate", "list");

        Assert.Equal(2, code);
        Assert.Contains("'sate'", error, StringComparison.Ordinal);
        Assert.Contains("Did you mean", error, StringComparison.Ordinal);
        Assert.Empty(output);
        Assert.Contains("state", output + error, StringComparison.Ordinal);
        Assert.Contains("run 'flowstate --help' for usage", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_names_the_command_people_type()
    {
        var root = await RunAsync("--help");
        var state = await RunAsync("state", "--help");

        Assert.Equal(0, root.Code);
        Assert.Contains("\n  flowstate [command] [options]", root.Out, StringComparison.Ordinal);
        Assert.Contains("\n  flowstate state [command] [options]", state.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(System.CommandLine.RootCommand.ExecutableName + " ", root.Out + state.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_stopped_by_ctrl_c_exits_130()
    {
        await RunAsync("state", "set", "k", "1");
        using var stopped = new CancellationTokenSource();
        await stopped.CancelAsync();

        var (code, _, error) = await RunAsync(stopped.Token, "state", "list");

        Assert.Equal(130, code);
        Assert.Contains("stopped", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_a_store_that_does_not_exist_fails_without_creating_it()
    {
        var (code, _, error) = await RunAsync("state", "list");

        Assert.Equal(1, code);
        Assert.Contains("there is no sqlite store at", error, StringComparison.Ordinal);
        Assert.False(File.Exists(StorePath));
    }

    [Fact]
    public async Task Malformed_scope_is_a_usage_error()
    {
        await RunAsync("state", "set", "a", "1");

        var (code, _, error) = await RunAsync("state", "get", "a", "--scope", "workflow::");

        Assert.Equal(2, code);
        Assert.Contains("is not a scope", error, StringComparison.Ordinal);
    }
}

namespace FlowState.Cli.Tests;

/// <summary>
/// The bad invocations a person makes, each with the exit code (1: the command failed, 2: the command line is wrong)
/// and the message that names the real cause and the way out. Standard output stays empty, and no store is created
/// where a command failed before it needed one.
/// </summary>
public sealed class BadInvocationCorpusTests : CliTestBase
{
    public static TheoryData<string, int, string> Corpus() => new()
    {
        { "sate list", 2, "'sate' was not matched. Did you mean one of the following?" },
        { "state get", 2, "Required argument missing for command: 'get'." },
        { "state set k", 2, "Required argument missing for command: 'set'." },
        { "state set k notjson", 1, "error: The value for key 'k' in scope '(global)' is not one well-formed JSON value" },
        { "state set k 1 --ttl 0", 2, "--ttl must be a number of seconds above 0 and at most 3155760000 (100 years); got 0." },
        { "state get nope", 1, "error: there is no key 'nope' in scope (global)" },
        { "state get k --store {dir}/missing-dir/x.db", 1, "error: there is no sqlite store at {dir}/missing-dir/x.db; pass --store, or run a flow first to create one" },
        { "state set k 1 --store {dir}/missing-dir/x.db", 1, "error: SQLite file '{dir}/missing-dir/x.db' cannot be created: its folder '{dir}/missing-dir' does not exist. Create the folder or choose another path." },
        { "state get k --store bogus:xyz", 2, "error: unknown store kind 'bogus' in 'bogus:xyz': use sqlite:<file>, rocksdb:<directory>" },
        { "state list --scope workflow:", 2, "error: 'workflow:' is not a scope: 'workflow' must be followed by a name (workflow:<name>:)" },
        { "state watch", 1, "is not a shared store; watching needs one (redis:<key prefix>:<configuration> or postgres-shared:<table>:<connection string>)" },
        { "restore", 2, "Required argument missing for command: 'restore'." },
        { "restore {dir}/no-such.db --store {dir}/new.db", 1, "error: There is no backup file '{dir}/no-such.db'." },
        { "backup restore --catalog {dir}/no-catalog --yes", 1, "error: The backup catalog '{dir}/no-catalog' holds no backup to restore; take one first." },
        { "backup restore --catalog {dir}/c --to-time notatime", 2, "Cannot parse argument 'notatime' for option '--to-time'" },
        { "backup restore --catalog {dir}/c --backup 1 --to-time 2026-01-01T00:00:00Z", 2, "Name one point: --backup, --to-version or --to-time." },
        { "backup prune --catalog {dir}/c --keep-last many", 2, "Cannot parse argument 'many' for option '--keep-last'" },
        { "runs prune --keep-last x", 2, "Cannot parse argument 'x' for option '--keep-last'" },
        { "state set k 1 --ttl soon", 2, "Cannot parse argument 'soon' for option '--ttl'" },
        { "backup copy {store}", 1, "error: The backup destination '{store}' exists; FlowState does not overwrite it." },
        { "export", 2, "Required argument missing for command: 'export'." },
        { "import {dir}/nope.jsonl", 1, "error: there is no export at {dir}/nope.jsonl" },
        { "run {dir}/nope.yaml", 1, "error: there is no file at {dir}/nope.yaml" },
        { "run nope", 1, "error: there is no bundled flow named 'nope'; the bundled flows are: word-count" },
        { "runs show nope", 1, "error: there is no run 'nope' in this store; see 'flowstate runs list'" },
        { "runs list --limit 0", 2, "--limit must be at least 1." },
        { "runs list --status done", 2, "Cannot parse argument 'done' for option '--status'" },
        { "runs fork r x", 2, "Cannot parse argument 'x' for command 'fork'" },
        { "runs prune --older-than-days -1", 2, "--older-than-days must be a number of days from 0 to 36500; got -1." },
        { "lua run {dir}/missing.lua", 1, "error: there is no Lua script at {dir}/missing.lua" },
        { "lua run {store} --args notjson", 2, "error: --args is not JSON: 'notjson' is an invalid JSON literal." },
        { "checkpoints list {dir}/nope.yaml", 1, "error: there is no file at {dir}/nope.yaml" },
        { "checkpoints show {dir}/nope.yaml x", 2, "Cannot parse argument 'x' for command 'show'" },
        { "serve --port 70000", 2, "error: --port must be between 0 and 65535, not 70000" },
        { "migrate {dir}/nope-folder", 1, "error: There is no migrations folder at {dir}/nope-folder." },
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task A_bad_invocation_exits_with_its_code_and_names_the_cause(string commandLine, int code, string message)
    {
        await RunAsync("state", "set", "k", "1");
        string Fill(string text) => text.Replace("{dir}", Directory.Path, StringComparison.Ordinal).Replace("{store}", StorePath, StringComparison.Ordinal);

        var result = await RunAsync([.. Fill(commandLine).Split(' ')]);

        Assert.Equal(code, result.Code);
        Assert.Contains(Fill(message), result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Out);
        Assert.False(System.IO.Directory.Exists(Path.Combine(Directory.Path, "missing-dir")));
    }
}

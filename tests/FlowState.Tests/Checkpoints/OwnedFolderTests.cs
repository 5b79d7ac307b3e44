using FlowState.Checkpoints;
using FlowState.Conformance;
using FlowState.Streaming;

namespace FlowState.Tests.Checkpoints;

/// <summary>FlowState deletes only what it created: checkpoint and sink folders carry a marker, names cannot climb out.</summary>
public sealed class OwnedFolderTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_checkpoint_folder_holding_user_files_is_refused_and_nothing_in_it_changes()
    {
        var project = _directory.File("project");
        Directory.CreateDirectory(Path.Combine(project, "data", "customers"));
        File.WriteAllText(Path.Combine(project, "data", "customers", "list.csv"), "id,name\n1,ada\n");
        File.WriteAllText(Path.Combine(project, "notes.txt"), "mine");
        var before = Snapshot(project);

        var error = Assert.Throws<CheckpointException>(() => new DirectoryCheckpointStorage(project));

        Assert.Contains("holds files FlowState did not create", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine("data", "customers", "list.csv"), error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(project));
    }

    [Fact]
    public void A_folder_holding_only_data_folders_of_user_files_is_refused_too()
    {
        var project = _directory.File("only-data");
        Directory.CreateDirectory(Path.Combine(project, "data", "customers"));
        File.WriteAllText(Path.Combine(project, "data", "customers", "list.csv"), "1,ada\n");

        Assert.Throws<CheckpointException>(() => new DirectoryCheckpointStorage(project));
        Assert.True(File.Exists(Path.Combine(project, "data", "customers", "list.csv")));
    }

    [Fact]
    public async Task Retention_never_lists_or_deletes_a_data_folder_it_did_not_write()
    {
        var storage = new DirectoryCheckpointStorage(_directory.File("checkpoints"));
        await storage.WriteDataAsync("chk-1", "s000-p0000.state", new byte[] { 1 }, CancellationToken.None);
        var user = Path.Combine(storage.Directory, "data", "customers");
        Directory.CreateDirectory(Path.Combine(user, "nested"));
        File.WriteAllText(Path.Combine(user, "list.csv"), "1,ada\n");
        File.WriteAllText(Path.Combine(user, "nested", "more.csv"), "2,grace\n");

        Assert.Equal(["chk-1"], await storage.ListDataKeysAsync(CancellationToken.None));
        await storage.DeleteDataAsync("customers", CancellationToken.None);
        await storage.DeleteDataAsync("chk-1", CancellationToken.None);

        Assert.True(File.Exists(Path.Combine(user, "list.csv")));
        Assert.True(File.Exists(Path.Combine(user, "nested", "more.csv")));
        Assert.False(Directory.Exists(Path.Combine(storage.Directory, "data", "chk-1")));
        Assert.Empty(await storage.ListDataKeysAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_data_folder_that_gained_a_subfolder_loses_only_its_files()
    {
        var storage = new DirectoryCheckpointStorage(_directory.File("checkpoints"));
        await storage.WriteDataAsync("chk-2", "s000-p0000.state", new byte[] { 1 }, CancellationToken.None);
        var folder = Path.Combine(storage.Directory, "data", "chk-2");
        Directory.CreateDirectory(Path.Combine(folder, "kept"));
        File.WriteAllText(Path.Combine(folder, "kept", "file.txt"), "x");

        await storage.DeleteDataAsync("chk-2", CancellationToken.None);

        Assert.False(File.Exists(Path.Combine(folder, "s000-p0000.state")));
        Assert.True(File.Exists(Path.Combine(folder, "kept", "file.txt")));
    }

    [Fact]
    public async Task A_checkpoint_folder_of_an_earlier_version_is_taken_on_with_its_checkpoints()
    {
        var old = _directory.File("old");
        Directory.CreateDirectory(Path.Combine(old, "manifests"));
        Directory.CreateDirectory(Path.Combine(old, "data", "chk-0000000000000000001-ab"));
        File.WriteAllText(Path.Combine(old, "manifests", "0000000000000000001.json"), "{}");
        File.WriteAllText(Path.Combine(old, "manifests", "0000000000000000001.claim"), string.Empty);
        File.WriteAllText(Path.Combine(old, "data", "chk-0000000000000000001-ab", "s000-p0000.state"), "x");

        var storage = new DirectoryCheckpointStorage(old);

        Assert.Equal([1L], await storage.ListCheckpointIdsAsync(CancellationToken.None));
        Assert.Equal(["chk-0000000000000000001-ab"], await storage.ListDataKeysAsync(CancellationToken.None));
        Assert.True(File.Exists(Path.Combine(old, ".flowstate-checkpoints")));
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/b")]
    [InlineData("..\\up")]
    [InlineData("tab\tname")]
    public void A_pipeline_or_sink_name_that_could_name_a_path_is_refused(string name)
    {
        var source = new ListSource("in", []);

        var pipeline = Assert.Throws<StreamDefinitionException>(() => new StreamPipelineBuilder(name).AddSource(source).AddSink(new PlainListSink("out")).Build());
        var sink = Assert.Throws<StreamDefinitionException>(() => new StreamPipelineBuilder("ok").AddSource(source).AddSink(new PlainListSink(name)).Build());

        Assert.Contains("not valid", pipeline.Message, StringComparison.Ordinal);
        Assert.Contains("sink name is not valid", sink.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sink_folder_holding_user_files_is_refused_and_kept()
    {
        var output = _directory.File("out");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "report.txt"), "mine");

        var error = Assert.Throws<StreamException>(() => new JsonLinesFileSink("out", output));

        Assert.Contains("report.txt", error.Message, StringComparison.Ordinal);
        Assert.Equal(["report.txt"], Directory.GetFiles(output).Select(Path.GetFileName));
    }

    [Fact]
    public void A_sink_folder_of_an_earlier_version_holding_only_part_files_is_taken_on()
    {
        var output = _directory.File("old-out");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "part-0000000000000000001.jsonl"), "{}\n");
        File.WriteAllText(Path.Combine(output, ".part-0000000000000000002.pending"), "{}\n");

        _ = new JsonLinesFileSink("out", output);

        Assert.True(File.Exists(Path.Combine(output, ".flowstate-sink")));
        Assert.True(File.Exists(Path.Combine(output, "part-0000000000000000001.jsonl")));
    }

    private static string[] Snapshot(string root) =>
        [.. Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal)];
}

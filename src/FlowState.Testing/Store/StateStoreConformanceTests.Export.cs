using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Xunit;

namespace FlowState.Testing;

public abstract partial class StateStoreConformanceTests
{
    private async Task<StateStore> StoreWithAssortedStateAsync()
    {
        var store = NewStore();
        await store.SetAsync("global", new { n = 1, tags = new[] { "a", "b" } });
        await store.For(StateScope.Workflow("run:1/%")).SetAsync("k:1", "colons, slashes and percents");
        await store.For(StateScope.Step("run:1/%", "fetch")).SetAsync("cursor", 42);
        await store.For(StateScope.Custom("cache")).Scope("nested").SetAsync("ünïcode ✓", 1.5);
        await store.SetAsync("session", "short-lived", StateWriteOptions.WithTimeToLive(TimeSpan.FromMinutes(10)));
        return store;
    }

    private static async Task<Dictionary<string, string>> ContentsAsync(StateStore store)
    {
        var contents = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var key in store.ListAllAsync())
        {
            contents[key.Scope.StorageKey + "|" + key.Key] = (await store.For(key.Scope).GetEntryAsync(key.Key))!.ToString();
        }

        return contents;
    }

    [Fact]
    public virtual async Task Export_then_import_reproduces_every_scope_value_and_expiry()
    {
        var source = await StoreWithAssortedStateAsync();
        using var export = new MemoryStream();
        Assert.Equal(5, await source.ExportAsync(export));

        var target = NewStore();
        export.Position = 0;
        Assert.Equal(5, await target.ImportAsync(export));
        Assert.Equal(await ContentsAsync(source), await ContentsAsync(target));

        Clock.Advance(TimeSpan.FromMinutes(9));
        Assert.True(await target.ExistsAsync("session"));
        Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.False(await target.ExistsAsync("session")); // the expiry came along, not a fresh TTL
    }

    [Fact]
    public virtual async Task Export_is_versioned_json_lines_with_a_sha256_trailer()
    {
        var store = await StoreWithAssortedStateAsync();
        using var export = new MemoryStream();
        await store.ExportAsync(export);
        var bytes = export.ToArray();
        var lines = Encoding.UTF8.GetString(bytes).Split('\n');
        Assert.Equal(string.Empty, lines[^1]);
        Assert.Equal(1 + 5 + 1, lines.Length - 1);

        using var header = JsonDocument.Parse(lines[0]);
        Assert.Equal(StateStore.ExportFormat, header.RootElement.GetProperty("format").GetString());
        Assert.Equal(StateStore.ExportFormatVersion, header.RootElement.GetProperty("version").GetInt32());
        using var step = JsonDocument.Parse(lines.Single(l => l.Contains("\"cursor\"", StringComparison.Ordinal)));
        Assert.Equal("workflow:run:1/%:step:fetch:", step.RootElement.GetProperty("path").GetString());
        Assert.Equal(42, step.RootElement.GetProperty("value").GetInt32());

        using var trailer = JsonDocument.Parse(lines[^2]);
        Assert.Equal(5, trailer.RootElement.GetProperty("entries").GetInt32());
        var body = bytes.AsSpan(0, bytes.Length - Encoding.UTF8.GetByteCount(lines[^2]) - 1);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), trailer.RootElement.GetProperty("sha256").GetString());
    }

    public static TheoryData<string> ExportDamage => new() { "truncated", "cut-mid-line", "value-changed", "count-changed", "newer-version", "not-json", "empty" };

    [Theory]
    [MemberData(nameof(ExportDamage))]
    public virtual async Task Damaged_export_is_refused_and_imports_nothing(string damage)
    {
        var source = await StoreWithAssortedStateAsync();
        using var export = new MemoryStream();
        await source.ExportAsync(export);
        var text = Encoding.UTF8.GetString(export.ToArray());
        var lines = text.Split('\n');
        var damaged = damage switch
        {
            "truncated" => string.Join('\n', lines[..^2]) + "\n",
            "cut-mid-line" => text[..(text.Length - 20)],
            "value-changed" => text.Replace("\"cursor\",\"value\":42", "\"cursor\",\"value\":43", StringComparison.Ordinal),
            "count-changed" => text.Replace("\"entries\":5", "\"entries\":4", StringComparison.Ordinal),
            "newer-version" => text.Replace($"\"version\":{StateStore.ExportFormatVersion},", "\"version\":99,", StringComparison.Ordinal),
            "not-json" => "this is not an export\n",
            _ => string.Empty,
        };
        Assert.NotEqual(text, damaged);

        var target = NewStore();
        await target.SetAsync("keep", "mine");
        var ex = await Assert.ThrowsAsync<StateCorruptedException>(() => target.ImportAsync(new MemoryStream(Encoding.UTF8.GetBytes(damaged))));
        Assert.Contains("Nothing was imported", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["|keep"], (await ContentsAsync(target)).Keys);
    }
}

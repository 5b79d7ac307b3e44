using System.Security.Cryptography;
using System.Text;

namespace FlowState.Tests.Backups;

/// <summary>
/// Body lines that pass the checksum (written so, by a faulty or foreign writer) but are not entries: refused by line,
/// with what is wrong, and nothing imported.
/// </summary>
public sealed class PortableLineTests
{
    public static TheoryData<string, string> BadLines => new()
    {
        { """{"scope":"","path":"","key":"","value":1,"version":1,"expiresAtTicks":0,"ttlTicks":0,"sliding":false}""", "not an entry: " },
        { """{"scope":"","path":"","key":"k","version":1,"expiresAtTicks":0,"ttlTicks":0,"sliding":false}""", "it lacks one of value, version" },
        { """{"scope":"","path":"","value":1,"version":1,"expiresAtTicks":0,"ttlTicks":0,"sliding":false}""", "it has no key" },
        { """{"scope":"","path":"","key":"k","deleted":true}""", "a deletion, which only a backup holds" },
        { """{"scope":"","key":"k","value":1,"version":1,"expiresAtTicks":0,"ttlTicks":0,"sliding":false} {}""", "not JSON: " },
        { """[1,2]""", "not a JSON object" },
        { """{"scope":"","key":"k","value":{"open":1,"version":1}""", "not JSON: " },
        { """{"scope":"no such scope","key":"k","value":1,"version":1,"expiresAtTicks":0,"ttlTicks":0,"sliding":false}""", "not an entry: " },
        { """{"scope":"","key":"k","value":1,"version":"one","expiresAtTicks":0,"ttlTicks":0,"sliding":false}""", "not an entry: " },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public async Task A_checksummed_line_that_is_not_an_entry_is_refused_by_number_and_nothing_is_imported(string line, string problem)
    {
        await using var store = new StateStore();
        await store.SetAsync("keep", "mine");

        var error = await Assert.ThrowsAsync<StateCorruptedException>(() => store.ImportAsync(new MemoryStream(Export(
            """{"scope":"","path":"","key":"fine","value":"x","version":1,"expiresAtTicks":0,"ttlTicks":0,"sliding":false}""", line))));

        Assert.Contains("line 3: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was imported", error.Message, StringComparison.Ordinal);
        Assert.Equal(["keep"], await store.ListKeysAsync().ToListAsync());
    }

    [Fact]
    public async Task A_value_of_any_shape_is_imported_exactly_as_written_and_unknown_fields_are_skipped()
    {
        await using var store = new StateStore();
        var value = """{"a":[1,{"b":"c\n"}],"d":null}""";

        await store.ImportAsync(new MemoryStream(Export(
            $$"""{"scope":"","path":"","key":"k","future":{"x":[1]},"value":{{value}},"version":7,"expiresAtTicks":0,"ttlTicks":0,"sliding":false}""")));

        Assert.Equal(value, (await store.GetEntryAsync("k"))!.ToString());
    }

    /// <summary>An export of <paramref name="body"/> lines with a correct header, count and checksum.</summary>
    private static byte[] Export(params string[] body)
    {
        var content = new StringBuilder("""{"format":"flowstate-export","version":1,"created":"2026-12-06T00:00:00+00:00"}""").Append('\n');
        foreach (var line in body)
        {
            content.Append(line).Append('\n');
        }

        var bytes = Encoding.UTF8.GetBytes(content.ToString());
        var trailer = $"{{\"end\":true,\"entries\":{body.Length},\"sha256\":\"{Convert.ToHexStringLower(SHA256.HashData(bytes))}\"}}\n";
        return [.. bytes, .. Encoding.UTF8.GetBytes(trailer)];
    }
}

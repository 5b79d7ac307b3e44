using System.Text.RegularExpressions;
using Xunit;

namespace FlowState.Docs.Tests;

/// <summary>The core's folders depend on each other as the table in docs/architecture.md says: one way, no cycle.</summary>
public sealed partial class ArchitectureTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, IReadOnlySet<string>>> Map = new(ReadMap);

    [Fact]
    public void Every_folder_of_the_core_uses_only_the_folders_the_map_allows()
    {
        var breaches = CoreFolderGraph.Edges
            .SelectMany(e => e.Value.Select(use => (From: e.Key, To: use.Key, Example: use.Value)))
            .Where(edge => !Map.Value.TryGetValue(edge.From, out var allowed) || !allowed.Contains(edge.To))
            .Select(edge => $"{edge.From} -> {edge.To}: {edge.Example}")
            .ToList();

        Assert.True(breaches.Count == 0, "Folders use folders docs/architecture.md does not allow them:\n" + string.Join('\n', breaches));
    }

    [Fact]
    public void Every_folder_of_the_core_is_in_the_map()
    {
        Assert.Equal(CoreFolderGraph.Folders(), Map.Value.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_map_has_no_cycle()
    {
        Assert.Null(FindCycle(Map.Value));
    }

    [Fact]
    public void A_cycle_in_a_map_is_found()
    {
        var map = new Dictionary<string, IReadOnlySet<string>>
        {
            ["A"] = new HashSet<string> { "B" },
            ["B"] = new HashSet<string> { "C" },
            ["C"] = new HashSet<string> { "A" },
            ["D"] = new HashSet<string>(),
        };

        Assert.Equal("A -> B -> C -> A", FindCycle(map));
    }

    [Fact]
    public void The_graph_sees_uses_of_types_and_of_their_members()
    {
        // Engine's StateStore uses the backend contract; the flow runtime calls the shared store (a member access).
        Assert.Contains("Backends", CoreFolderGraph.Edges["Engine"].Keys);
        Assert.Contains("Shared", CoreFolderGraph.Edges["Flows"].Keys);
        Assert.DoesNotContain("Engine", CoreFolderGraph.Edges.GetValueOrDefault("State")?.Keys ?? []);
    }

    private static string? FindCycle(IReadOnlyDictionary<string, IReadOnlySet<string>> map)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1: on the path, 2: done
        var path = new List<string>();
        string? Visit(string folder)
        {
            state[folder] = 1;
            path.Add(folder);
            foreach (var next in map.GetValueOrDefault(folder) ?? new HashSet<string>())
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    return string.Join(" -> ", path.Skip(path.IndexOf(next)).Append(next));
                }

                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[folder] = 2;
            return null;
        }

        return map.Keys.Order(StringComparer.Ordinal).Where(f => state.GetValueOrDefault(f) == 0).Select(Visit).FirstOrDefault(c => c is not null);
    }

    private static Dictionary<string, IReadOnlySet<string>> ReadMap()
    {
        var text = File.ReadAllText(Path.Combine(DocSnippets.RepositoryRoot, "docs", "architecture.md"));
        var start = text.IndexOf("<!-- folders: begin -->", StringComparison.Ordinal);
        var end = text.IndexOf("<!-- folders: end -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/architecture.md has no folder map between <!-- folders: begin --> and <!-- folders: end -->");
        var map = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (Match row in MapRow().Matches(text[start..end]))
        {
            map[row.Groups["folder"].Value] = Names().Matches(row.Groups["uses"].Value).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        }

        return map;
    }

    [GeneratedRegex(@"^\| `(?<folder>\w+)` \|[^|\n]*\| (?<uses>[^|\n]*) \|$", RegexOptions.Multiline)]
    private static partial Regex MapRow();

    [GeneratedRegex("`(\\w+)`")]
    private static partial Regex Names();
}

using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace FlowState.Docs.Tests;

/// <summary>
/// The engine's classes stay small (about 400 lines and 12 fields) or the module map in docs/architecture.md says why,
/// and the map names only classes that exist.
/// </summary>
public sealed partial class EngineModuleMapTests
{
    private const int MaxLines = 400;
    private const int MaxFields = 12;

    private static readonly Lazy<IReadOnlyDictionary<string, (int Lines, int Fields)>> Classes = new(MeasureEngineClasses);
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Map = new(ReadModuleMap);

    [Fact]
    public void Every_engine_class_over_the_size_limits_says_why_in_the_module_map()
    {
        var unexplained = Classes.Value
            .Where(c => c.Value.Lines > MaxLines || c.Value.Fields > MaxFields)
            .Where(c => !Map.Value.TryGetValue(c.Key, out var reason) || reason is "" or "—")
            .Select(c => $"{c.Key}: {c.Value.Lines} lines, {c.Value.Fields} fields")
            .ToList();

        Assert.True(unexplained.Count == 0, $"Engine classes above {MaxLines} lines or {MaxFields} fields without a reason in docs/architecture.md's module map:\n" + string.Join('\n', unexplained));
    }

    [Fact]
    public void The_module_map_names_only_classes_of_the_engine()
    {
        var stale = Map.Value.Keys.Where(name => !Classes.Value.ContainsKey(name)).ToList();
        Assert.True(stale.Count == 0, "The module map names classes the engine does not have: " + string.Join(", ", stale));
    }

    [Fact]
    public void The_measure_sums_the_parts_of_a_partial_class()
    {
        // StateStore is split over a dozen files, none near 800 lines; summed, it is far above the limit.
        var lines = Classes.Value["StateStore"].Lines;
        Assert.True(lines > 2 * MaxLines, $"StateStore measured {lines} lines");
        Assert.True(Classes.Value["ScopeTree"].Fields >= 3);
    }

    private static Dictionary<string, (int Lines, int Fields)> MeasureEngineClasses()
    {
        var folder = Path.Combine(DocSnippets.RepositoryRoot, "src", "FlowState", "Engine");
        var measured = new Dictionary<string, (int Lines, int Fields)>(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(folder, "*.cs", SearchOption.AllDirectories))
        {
            var root = CSharpSyntaxTree.ParseText(File.ReadAllText(path), new CSharpParseOptions(LanguageVersion.Latest)).GetRoot();
            foreach (var type in root.DescendantNodes().OfType<ClassDeclarationSyntax>().Where(t => t.Parent is not TypeDeclarationSyntax))
            {
                var span = type.GetLocation().GetLineSpan();
                var lines = span.EndLinePosition.Line - span.StartLinePosition.Line + 1;
                var fields = type.Members.OfType<FieldDeclarationSyntax>()
                    .Where(f => !f.Modifiers.Any(m => m.IsKind(SyntaxKind.ConstKeyword) || m.IsKind(SyntaxKind.StaticKeyword)))
                    .Sum(f => f.Declaration.Variables.Count);
                var name = type.Identifier.Text;
                measured[name] = measured.TryGetValue(name, out var known) ? (known.Lines + lines, known.Fields + fields) : (lines, fields);
            }
        }

        return measured;
    }

    private static Dictionary<string, string> ReadModuleMap()
    {
        var text = File.ReadAllText(Path.Combine(DocSnippets.RepositoryRoot, "docs", "architecture.md"));
        var start = text.IndexOf("<!-- engine: begin -->", StringComparison.Ordinal);
        var end = text.IndexOf("<!-- engine: end -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/architecture.md has no module map between <!-- engine: begin --> and <!-- engine: end -->");
        return MapRow().Matches(text[start..end]).ToDictionary(row => row.Groups["name"].Value, row => row.Groups["why"].Value.Trim(), StringComparer.Ordinal);
    }

    // | `Name` | owns | invariant | lock | larger because |
    [GeneratedRegex(@"^\| `(?<name>\w+)` \|[^|\n]*\|[^|\n]*\|[^|\n]*\|(?<why>[^|\n]*)\|$", RegexOptions.Multiline)]
    private static partial Regex MapRow();
}

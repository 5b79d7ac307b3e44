using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FlowState.Docs.Tests;

/// <summary>
/// Which folders of the core assembly (<c>src/FlowState</c>) use which: every name in a folder's files that binds to a
/// type declared in another folder (or to a member of one) is an edge, found with Roslyn's semantic model over the
/// source as it is now.
/// </summary>
public static class CoreFolderGraph
{
    private static readonly Lazy<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> Graph = new(Build);

    /// <summary>For each folder, the folders it uses, each with one example (<c>file:line uses Type</c>).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Edges => Graph.Value;

    /// <summary>The top-level folders of the core's source.</summary>
    public static IReadOnlyList<string> Folders() =>
        [.. Directory.GetDirectories(Path.Combine(DocSnippets.RepositoryRoot, "src", "FlowState"))
            .Where(path => Path.GetFileName(path) is not ("bin" or "obj") && Directory.EnumerateFiles(path, "*.cs", SearchOption.AllDirectories).Any())
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)!];

    private static Dictionary<string, IReadOnlyDictionary<string, string>> Build()
    {
        var root = Path.Combine(DocSnippets.RepositoryRoot, "src", "FlowState");
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(path => !IsBuildOutput(Path.GetRelativePath(root, path)))
            .Select(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path), parse, path: path))
            .ToList();
        var compilation = CSharpCompilation.Create("FlowState", trees, References(), new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var edges = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var tree in trees)
        {
            var from = FolderOf(root, tree.FilePath);
            var model = compilation.GetSemanticModel(tree);
            foreach (var name in tree.GetRoot().DescendantNodes().OfType<SimpleNameSyntax>())
            {
                var info = model.GetSymbolInfo(name);
                var symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault();
                if (OutermostSourceType(symbol) is not { } type)
                {
                    continue;
                }

                foreach (var declaration in type.DeclaringSyntaxReferences)
                {
                    var to = FolderOf(root, declaration.SyntaxTree.FilePath);
                    if (to != from)
                    {
                        var uses = edges.TryGetValue(from, out var known) ? known : edges[from] = new(StringComparer.Ordinal);
                        uses.TryAdd(to, $"{Path.GetRelativePath(DocSnippets.RepositoryRoot, tree.FilePath)}:{name.GetLocation().GetLineSpan().StartLinePosition.Line + 1} uses {type.Name}");
                    }
                }
            }
        }

        return edges.ToDictionary(e => e.Key, e => (IReadOnlyDictionary<string, string>)e.Value, StringComparer.Ordinal);
    }

    private static bool IsBuildOutput(string relative) =>
        relative.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal) || relative.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string FolderOf(string root, string path)
    {
        var relative = Path.GetRelativePath(root, path);
        var separator = relative.IndexOf(Path.DirectorySeparatorChar, StringComparison.Ordinal);
        return separator < 0 ? "(root)" : relative[..separator];
    }

    private static INamedTypeSymbol? OutermostSourceType(ISymbol? symbol)
    {
        var type = symbol as INamedTypeSymbol ?? symbol?.ContainingType;
        while (type?.ContainingType is { } outer)
        {
            type = outer;
        }

        return type is { DeclaringSyntaxReferences.Length: > 0 } ? type.OriginalDefinition : null;
    }

    // The framework and the core's packages, not FlowState's own assemblies (their types are the source being read).
    private static ImmutableArray<MetadataReference> References() =>
        [.. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && !Path.GetFileName(p).StartsWith("FlowState", StringComparison.Ordinal))
            .Where(SnippetCompiler.IsManaged)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
}

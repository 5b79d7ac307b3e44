using System.Text.RegularExpressions;

namespace FlowState.Docs.Tests;

/// <summary>Finds the C# code blocks of the README and the guides under docs/.</summary>
public static partial class DocSnippets
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>
    /// The Markdown files whose snippets must compile: README.md, every page under docs/, and each package's own README
    /// (src/*/README.md, shown on the package's page).
    /// </summary>
    public static IEnumerable<string> Files() =>
        new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(RepositoryRoot, "docs"), "*.md")
            .Concat(Directory.GetDirectories(Path.Combine(RepositoryRoot, "src")).Select(d => Path.Combine(d, "README.md")).Where(File.Exists))
            .Select(p => Path.GetRelativePath(RepositoryRoot, p).Replace('\\', '/'))
            .Order(StringComparer.Ordinal));

    public static IReadOnlyList<DocSnippet> All() => [.. Files().SelectMany(f => Parse(f, File.ReadAllText(Path.Combine(RepositoryRoot, f))))];

    /// <summary>The <c>```csharp</c> blocks of <paramref name="markdown"/> (indented ones in list items too).</summary>
    public static IEnumerable<DocSnippet> Parse(string file, string markdown)
    {
        var lines = markdown.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp")
            {
                continue;
            }

            var indent = lines[i].Length - lines[i].TrimStart().Length;
            var end = i + 1;
            while (end < lines.Length && !lines[end].TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                end++;
            }

            if (end == lines.Length)
            {
                throw new InvalidDataException($"{file}:{i + 1}: a csharp block that is never closed");
            }

            var code = string.Join('\n', lines[(i + 1)..end].Select(l => l.Length >= indent && string.IsNullOrWhiteSpace(l[..indent]) ? l[indent..] : l));
            yield return new DocSnippet(file, i + 1, code, ContextAbove(lines, i));
            i = end;
        }
    }

    // The comment may span lines; it must end on the line right above the fence.
    private static string ContextAbove(string[] lines, int fence)
    {
        if (fence == 0 || !lines[fence - 1].TrimEnd().EndsWith("-->", StringComparison.Ordinal))
        {
            return "";
        }

        var start = fence - 1;
        while (start > 0 && !lines[start].Contains("<!--", StringComparison.Ordinal))
        {
            start--;
        }

        var comment = string.Join('\n', lines[start..fence]);
        var match = CompileWith().Match(comment);
        return match.Success ? match.Groups[1].Value.Trim() : "";
    }

    [GeneratedRegex(@"<!--\s*compile with:(.*)-->", RegexOptions.Singleline)]
    private static partial Regex CompileWith();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FlowState.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no FlowState.slnx above {AppContext.BaseDirectory}");
    }
}

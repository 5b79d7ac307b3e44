using System.Text.RegularExpressions;
using Xunit;

namespace FlowState.Docs.Tests;

/// <summary>The README stays a front door, and every link between the pages leads somewhere inside the repository.</summary>
public sealed partial class DocLinkTests
{
    [Fact]
    public void The_readme_is_at_most_250_lines()
    {
        var lines = File.ReadAllLines(Path.Combine(DocSnippets.RepositoryRoot, "README.md")).Length;
        Assert.True(lines <= 250, $"README.md has {lines} lines; move detail into a guide under docs/");
    }

    [Fact]
    public void Every_relative_link_names_a_file_and_heading_that_exist()
    {
        var broken = new List<string>();
        foreach (var file in DocSnippets.Files())
        {
            var text = File.ReadAllText(Path.Combine(DocSnippets.RepositoryRoot, file));
            foreach (Match link in MarkdownLink().Matches(StripCode(text)))
            {
                var target = link.Groups[1].Value;
                if (target.StartsWith("http://", StringComparison.Ordinal) || target.StartsWith("https://", StringComparison.Ordinal))
                {
                    continue;
                }

                var hash = target.IndexOf('#', StringComparison.Ordinal);
                var path = hash < 0 ? target : target[..hash];
                var anchor = hash < 0 ? null : target[(hash + 1)..];
                var full = path.Length == 0
                    ? Path.Combine(DocSnippets.RepositoryRoot, file)
                    : Path.GetFullPath(Path.Combine(DocSnippets.RepositoryRoot, Path.GetDirectoryName(file)!, path));
                if (!full.StartsWith(DocSnippets.RepositoryRoot, StringComparison.Ordinal))
                {
                    broken.Add($"{file}: {target} leads outside the repository");
                }
                else if (!File.Exists(full) && !Directory.Exists(full))
                {
                    broken.Add($"{file}: {target} names no file");
                }
                else if (anchor is not null && full.EndsWith(".md", StringComparison.Ordinal) && !Anchors(File.ReadAllText(full)).Contains(anchor))
                {
                    broken.Add($"{file}: {target} names no heading of {Path.GetFileName(full)}");
                }
            }
        }

        Assert.True(broken.Count == 0, string.Join('\n', broken));
    }

    [Fact]
    public void Anchors_are_made_as_GitHub_makes_them()
    {
        var anchors = Anchors("# Flows\n## Nodes: prep → exec → post\n```\n# not a heading\n```\n## Run events\n");
        Assert.Equal(["flows", "nodes-prep--exec--post", "run-events"], anchors.Order(StringComparer.Ordinal));
    }

    // GitHub's rule: lower case; drop everything but letters, digits, spaces, hyphens and underscores; spaces to hyphens.
    private static HashSet<string> Anchors(string markdown) =>
        [.. StripCode(markdown).Split('\n')
            .Where(l => Heading().IsMatch(l))
            .Select(l => Heading().Match(l).Groups[1].Value.Trim().ToLowerInvariant())
            .Select(h => new string([.. h.Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')]).Replace(' ', '-'))];

    private static string StripCode(string markdown) => Fence().Replace(markdown, "");

    [GeneratedRegex(@"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"^#{1,6} (.+)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^\s*```.*?^\s*```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();
}

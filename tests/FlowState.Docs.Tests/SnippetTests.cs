using Xunit;

namespace FlowState.Docs.Tests;

/// <summary>Every C# snippet of the README and the guides compiles against the libraries as they are now.</summary>
public sealed class SnippetTests
{
    public static TheoryData<string> SnippetIds() => [.. DocSnippets.All().Select(s => s.ToString())];

    [Theory]
    [MemberData(nameof(SnippetIds))]
    public void Snippet_compiles(string id)
    {
        var snippet = DocSnippets.All().Single(s => s.ToString() == id);
        var errors = SnippetCompiler.Errors(snippet);
        Assert.True(errors.Count == 0, $"{id} does not compile:\n{string.Join('\n', errors)}\n--- code:\n{snippet.Code}");
    }

    [Fact]
    public void The_readme_and_every_guide_with_code_are_found()
    {
        var files = DocSnippets.All().Select(s => s.File).ToHashSet();
        Assert.Contains("README.md", files);
        foreach (var guide in new[] { "src/FlowState/README.md", "src/FlowState.Sqlite/README.md", "docs/store.md", "docs/flows.md", "docs/streaming.md", "docs/durability.md", "docs/shared-state.md", "docs/hosting.md", "docs/lua.md", "docs/agent-framework.md", "docs/inspector.md", "docs/backends.md", "src/FlowState.Testing/README.md" })
        {
            Assert.Contains(guide, files);
        }
    }

    [Fact]
    public void A_snippet_that_does_not_compile_is_reported_with_its_file_and_line()
    {
        var broken = new DocSnippet("docs/example.md", 10, "await using var store = new StateStore();\nawait store.SetAsnc(\"k\", 1);", "");
        var errors = SnippetCompiler.Errors(broken);
        Assert.Contains(errors, e => e.StartsWith("docs/example.md:12: CS1061", StringComparison.Ordinal));
    }

    [Fact]
    public void The_hidden_context_above_a_block_is_compiled_with_it()
    {
        var markdown = "text\n<!-- compile with:\nvar store = new StateStore(); -->\n```csharp\nawait store.SetAsync(\"k\", 1);\n```\n";
        var snippet = Assert.Single(DocSnippets.Parse("x.md", markdown));
        Assert.Equal("var store = new StateStore();", snippet.Context);
        Assert.Empty(SnippetCompiler.Errors(snippet));
        Assert.NotEmpty(SnippetCompiler.Errors(snippet with { Context = "" }));
    }
}

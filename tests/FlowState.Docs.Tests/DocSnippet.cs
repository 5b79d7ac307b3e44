namespace FlowState.Docs.Tests;

/// <summary>A C# code block of a Markdown file, with what the file says it needs around it.</summary>
/// <param name="File">The Markdown file, relative to the repository root.</param>
/// <param name="Line">The line of the opening fence.</param>
/// <param name="Code">The block's code.</param>
/// <param name="Context">
/// Declarations the block assumes (a <c>store</c>, a <c>flow</c>), from an HTML comment <c>&lt;!-- compile with: … --&gt;</c>
/// right above the fence: hidden when the page is rendered, so the snippet shows only what matters.
/// </param>
public sealed record DocSnippet(string File, int Line, string Code, string Context)
{
    public override string ToString() => $"{File}:{Line}";
}

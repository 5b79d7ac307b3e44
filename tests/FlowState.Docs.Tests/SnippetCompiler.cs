using System.Collections.Immutable;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace FlowState.Docs.Tests;

/// <summary>
/// Compiles a snippet as the top-level program of a console app that references every FlowState library, with the
/// usings such an app has (the SDK's implicit ones, System.Text.Json, and FlowState's namespaces) and the example types
/// of <see cref="Examples"/>. Errors name the Markdown file and line.
/// </summary>
public static partial class SnippetCompiler
{
    private const string GlobalUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using System.Text.Json;
        global using System.Text.Json.Nodes;
        global using FlowState;
        global using FlowState.Checkpoints;
        global using FlowState.Flows;
        global using FlowState.Streaming;
        global using FlowState.Docs.Tests.Examples;
        """;

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    /// <summary>The errors compiling <paramref name="snippet"/> gives (none: it compiles).</summary>
    public static IReadOnlyList<string> Errors(DocSnippet snippet)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = new[]
        {
            CSharpSyntaxTree.ParseText(GlobalUsings, parse, path: "GlobalUsings.cs"),
            CSharpSyntaxTree.ParseText(Program(snippet), parse, path: snippet.File),
        };
        var compilation = CSharpCompilation.Create(
            "Snippet",
            trees,
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        return [.. compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS5001") // a snippet of declarations only has no statements
            .Select(d => $"{d.Location.GetMappedLineSpan().Path}:{d.Location.GetMappedLineSpan().StartLinePosition.Line + 1}: {d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}")];
    }

    // The snippet's using directives go first (C# wants them there), the hidden context next, then the snippet with
    // its directives blanked out, under a #line that maps it back to its place in the Markdown file.
    private static string Program(DocSnippet snippet)
    {
        var lines = snippet.Code.Split('\n');
        var context = snippet.Context.Split('\n');
        var usings = lines.Concat(context).Where(l => UsingDirective().IsMatch(l)).Distinct(StringComparer.Ordinal);
        var body = lines.Select(l => UsingDirective().IsMatch(l) ? "" : l);
        return string.Join('\n', usings)
            + "\n#line hidden\n" + string.Join('\n', context.Where(l => !UsingDirective().IsMatch(l)))
            + $"\n#line {snippet.Line + 1} \"{snippet.File}\"\n" + string.Join('\n', body) + "\n";
    }

    [GeneratedRegex(@"^\s*using\s+(static\s+)?[\w.]+(\s*=\s*[\w.<>]+)?\s*;\s*(//.*)?$")]
    private static partial Regex UsingDirective();

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Append(typeof(Examples.Order).Assembly.Location)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal);
        return [.. paths.Where(IsManaged).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    internal static bool IsManaged(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new PEReader(stream);
        return reader.HasMetadata;
    }
}

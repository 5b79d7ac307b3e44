using System.Text.Json;
using Spectre.Console;

namespace FlowState.Cli;

/// <summary>Where a command writes: plain lines to <see cref="Out"/> and <see cref="Error"/>, tables through Spectre.Console.</summary>
internal sealed class CliConsole
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public CliConsole(TextWriter output, TextWriter error, bool verbose)
    {
        Out = output;
        Error = error;
        Verbose = verbose;
        Ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        Ansi.Profile.Width = 120;
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public bool Verbose { get; }

    public IAnsiConsole Ansi { get; }

    /// <summary>Writes <paramref name="value"/> as indented JSON.</summary>
    public Task WriteJsonAsync<T>(T value) => Out.WriteLineAsync(JsonSerializer.Serialize(value, Indented));

    /// <summary>A table of <paramref name="rows"/> under <paramref name="headers"/> (text is shown as is, never as markup).</summary>
    public void Table(IEnumerable<string> headers, IEnumerable<IEnumerable<string>> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(Markup.Escape(header)));
        }

        foreach (var row in rows)
        {
            table.AddRow([.. row.Select(cell => new Text(cell))]);
        }

        Ansi.Write(table);
    }
}

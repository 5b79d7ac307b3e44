using System.Text;
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

    /// <summary>
    /// Whether to go on with removing <paramref name="what"/>: yes with <paramref name="yes"/> (<c>--yes</c>); else asks
    /// on the terminal; without one (standard input redirected) it is a usage error that names <c>--yes</c>. Says
    /// "nothing changed" when the answer is no.
    /// </summary>
    /// <exception cref="CliUsageException">Standard input is not a terminal and <paramref name="yes"/> is false.</exception>
    public async Task<bool> ConfirmRemovalAsync(string what, bool yes)
    {
        if (yes)
        {
            return true;
        }

        if (Console.IsInputRedirected)
        {
            throw new CliUsageException($"this removes {what}; pass --yes to confirm");
        }

        await Error.WriteAsync($"Remove {what}? [y/N] ");
        if (Console.ReadLine()?.Trim() is "y" or "Y" or "yes")
        {
            return true;
        }

        await Error.WriteLineAsync("nothing changed");
        return false;
    }

    /// <summary>Writes <paramref name="value"/> as indented JSON.</summary>
    public Task WriteJsonAsync<T>(T value) => Out.WriteLineAsync(JsonSerializer.Serialize(value, Indented));

    /// <summary>
    /// A table of <paramref name="rows"/> under <paramref name="headers"/> (text is shown as is, never as markup, with
    /// control and invisible formatting characters shown as escapes, see <see cref="Visible"/>).
    /// </summary>
    public void Table(IEnumerable<string> headers, IEnumerable<IEnumerable<string>> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(Markup.Escape(header)));
        }

        foreach (var row in rows)
        {
            table.AddRow([.. row.Select(cell => new Text(Visible(cell)))]);
        }

        Ansi.Write(table);
    }

    /// <summary>
    /// <paramref name="text"/> with control characters and invisible formatting characters (bidirectional overrides
    /// such as U+202E, zero-width characters) written as <c>\u{XXXX}</c>: keys come from anyone who can write to the
    /// store, and such characters would make one key look like another on the screen.
    /// </summary>
    public static string Visible(string text)
    {
        if (!text.Any(c => char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format))
        {
            return text;
        }

        var visible = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format)
            {
                visible.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{{{(int)c:X4}}}");
            }
            else
            {
                visible.Append(c);
            }
        }

        return visible.ToString();
    }
}

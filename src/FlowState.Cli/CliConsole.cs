using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace FlowState.Cli;

/// <summary>Where a command writes: plain lines to <see cref="Out"/> and <see cref="Error"/>, tables through Spectre.Console.</summary>
internal sealed class CliConsole
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    // --json documents: a stable, script-friendly shape (camelCase names, enums as lower-case strings, ISO 8601 times).
    private static readonly JsonSerializerOptions Document = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public CliConsole(TextWriter output, TextWriter error, bool verbose, bool json = false)
    {
        Out = output;
        Error = error;
        Verbose = verbose;
        Json = json;

        // Rules, colours and the terminal's width only when a person reads the terminal; piped or captured output is
        // plain text, as wide as its content.
        IsTerminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        Ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = IsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = IsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
    }

    /// <summary>Whether standard output is a terminal (not piped, not redirected, not captured).</summary>
    public bool IsTerminal { get; }

    /// <summary>
    /// Runs <paramref name="work"/> with a progress bar on standard error when that is a terminal (nothing otherwise, so
    /// scripts and logs see only the result). <paramref name="work"/> reports how far it is (of <paramref name="total"/>;
    /// null: unknown, shown as a spinner with the elapsed time).
    /// </summary>
    public async Task<T> WithProgressAsync<T>(string what, long? total, Func<Action<long>, Task<T>> work)
    {
        if (!ReferenceEquals(Error, Console.Error) || Console.IsErrorRedirected)
        {
            return await work(static _ => { }).ConfigureAwait(false);
        }

        var terminal = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await terminal.Progress()
            .AutoClear(true)
            .Columns(total is null
                ? [new TaskDescriptionColumn(), new SpinnerColumn(), new ElapsedTimeColumn()]
                : [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn()])
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(what), maxValue: Math.Max(1, total ?? 1));
                task.IsIndeterminate = total is null;
                var result = await work(done => task.Value = Math.Min(done, task.MaxValue)).ConfigureAwait(false);
                task.Value = task.MaxValue;
                return result;
            }).ConfigureAwait(false);
    }

    /// <summary>Whether <c>--json</c> was given: the command writes one JSON document (see <see cref="WriteDocumentAsync"/>).</summary>
    public bool Json { get; }

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

    /// <summary>Writes a command's <c>--json</c> document (camelCase, lower-case enums).</summary>
    public Task WriteDocumentAsync<T>(T document) => Out.WriteLineAsync(JsonSerializer.Serialize(document, Document));

    /// <summary>
    /// A table of <paramref name="rows"/> under <paramref name="headers"/> (text is shown as is, never as markup, with
    /// control and invisible formatting characters shown as escapes, see <see cref="Visible"/>).
    /// </summary>
    public void Table(IEnumerable<string> headers, IEnumerable<IEnumerable<string>> rows)
    {
        if (!IsTerminal)
        {
            PlainTable(headers, rows);
            return;
        }

        var table = new Table().Border(TableBorder.Rounded);
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

    // Columns two spaces apart, each as wide as its widest cell; no rules, no padding after the last column.
    private void PlainTable(IEnumerable<string> headers, IEnumerable<IEnumerable<string>> rows)
    {
        var lines = new List<string[]> { headers.ToArray() };
        lines.AddRange(rows.Select(row => row.Select(Visible).ToArray()));
        var widths = new int[lines.Max(l => l.Length)];
        foreach (var line in lines)
        {
            for (var i = 0; i < line.Length; i++)
            {
                widths[i] = Math.Max(widths[i], line[i].Length);
            }
        }

        var text = new StringBuilder();
        foreach (var line in lines)
        {
            for (var i = 0; i < line.Length; i++)
            {
                text.Append(i == line.Length - 1 ? line[i] : line[i].PadRight(widths[i] + 2));
            }

            Out.WriteLine(text.ToString().TrimEnd());
            text.Clear();
        }
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

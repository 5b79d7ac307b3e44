using Microsoft.Extensions.Logging;

/// <summary>
/// Writes each entry as one line, <c>LOG {source} {level} {message}</c>, to standard output, where the parent test
/// reads the harness's lines: a member's claims, releases and failures are then in the report when a test gives up
/// waiting.
/// </summary>
internal sealed class StandardOutputLogger<T>(Lock gate, string source) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var line = $"LOG {source} {logLevel} {formatter(state, exception)}{(exception is null ? string.Empty : $" ({exception.GetType().Name}: {exception.Message})")}";
        lock (gate)
        {
            Console.WriteLine(line.ReplaceLineEndings(" "));
            Console.Out.Flush();
        }
    }
}

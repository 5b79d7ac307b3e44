using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FlowState;

/// <summary>
/// Logs every operation of a store: at <see cref="LogLevel.Debug"/> with its duration when it succeeds, at
/// <see cref="LogLevel.Warning"/> with the exception when it fails. Values are never logged.
/// </summary>
/// <example><code>options.Decorators.Add(store => new LoggingStateStore(store, logger));</code></example>
public sealed partial class LoggingStateStore : StateStoreDecorator
{
    private readonly ILogger _logger;

    /// <summary>Wraps <paramref name="inner"/>, logging to <paramref name="logger"/>.</summary>
    public LoggingStateStore(IStateStore inner, ILogger logger)
        : base(inner)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
    }

    /// <inheritdoc />
    protected override IStateStore Wrap(IStateStore inner) => new LoggingStateStore(inner, _logger);

    /// <inheritdoc />
    protected override async ValueTask<TResult> AroundAsync<TResult>(string operation, string? key, Func<ValueTask<TResult>> operationCall)
    {
        ArgumentNullException.ThrowIfNull(operationCall);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await operationCall().ConfigureAwait(false);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                LogSucceeded(_logger, operation, Path, key, elapsedMs);
            }

            return result;
        }
        catch (Exception ex)
        {
            var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            LogFailed(_logger, ex, operation, Path, key, elapsedMs);
            throw;
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "State {Operation} scope='{ScopePath}' key='{Key}' took {ElapsedMs:0.###} ms")]
    private static partial void LogSucceeded(ILogger logger, string operation, string scopePath, string? key, double elapsedMs);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "State {Operation} scope='{ScopePath}' key='{Key}' failed after {ElapsedMs:0.###} ms")]
    private static partial void LogFailed(ILogger logger, Exception exception, string operation, string scopePath, string? key, double elapsedMs);
}

using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlowState;

/// <summary>
/// Opens the registered store when the host starts — so a backend that cannot open (a missing folder, a locked file,
/// an unreachable server) stops the host from starting, with the backend's error — and flushes and closes it when the
/// host stops, within the host's shutdown timeout. It starts before, and stops after, the app's other hosted services.
/// </summary>
internal sealed partial class FlowStateStoreLifetime<TStore>(FlowStateStoreHolder<TStore> holder, ILogger<FlowStateStoreLifetime<TStore>> logger) : IHostedService
    where TStore : class, IAsyncDisposable
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var store = await holder.OpenAsync(cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        Opened(logger, store, elapsed.TotalMilliseconds);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (holder.OpenedStore is not { } store)
        {
            return;
        }

        try
        {
            // Closing drains the commit queue: every acknowledged (or written-behind) write reaches the backend.
            await store.DisposeAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
            Closed(logger, store);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            NotFlushedInTime(logger, store);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "FlowState store {Store} opened in {Milliseconds:0.0} ms")]
    private static partial void Opened(ILogger logger, TStore store, double milliseconds);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "FlowState store {Store} flushed and closed")]
    private static partial void Closed(ILogger logger, TStore store);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "FlowState store {Store} did not finish flushing within the host's shutdown timeout; writes still queued may be lost (raise HostOptions.ShutdownTimeout)")]
    private static partial void NotFlushedInTime(ILogger logger, TStore store);
}

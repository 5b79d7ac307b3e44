using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowState.Streaming;

/// <summary>
/// Runs a stream pipeline for the life of a .NET host: from the last complete checkpoint when the host starts, again
/// after a failure (after <see cref="StreamPipelineHostOptions.RestartDelay"/>), until the input ends or the host stops
/// (what was processed after the last checkpoint is redone by the next start). Owns and disposes the pipeline.
/// Register it with <c>services.AddStreamPipeline(…)</c> (<see cref="StreamPipelineServiceCollectionExtensions"/>).
/// </summary>
public sealed class StreamPipelineHostedService : BackgroundService, IAsyncDisposable
{
    private readonly StreamPipeline _pipeline;
    private readonly StreamPipelineHostOptions _options;
    private readonly ILogger _logger;
    private int _restarts;

    /// <summary>Runs <paramref name="pipeline"/>.</summary>
    public StreamPipelineHostedService(StreamPipeline pipeline, StreamPipelineHostOptions? options = null, ILogger<StreamPipelineHostedService>? logger = null)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _options = options ?? new StreamPipelineHostOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The pipeline it runs.</summary>
    public StreamPipeline Pipeline => _pipeline;

    /// <summary>Runs started again after a failure.</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    /// <summary>The last run's result, once a run reached the end of its input.</summary>
    public StreamRunResult? Result { get; private set; }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                Result = await _pipeline.RunAsync(stoppingToken).ConfigureAwait(false);
                StreamLog.HostedRunCompleted(_logger, _pipeline.Name, Result.MessagesRead);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is StreamException or StateException && _options.RestartOnFailure)
            {
                StreamLog.HostedRunFailed(_logger, ex, _pipeline.Name, _options.RestartDelay.TotalSeconds);
                Interlocked.Increment(ref _restarts);
                await Task.Delay(_options.RestartDelay, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Dispose();
        await _pipeline.DisposeAsync().ConfigureAwait(false);
    }
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace FlowState.Streaming;

/// <summary>
/// Runs a stream pipeline for the life of a .NET host: from the last complete checkpoint when the host starts, again
/// after a failure (Polly retry: exponential back-off with jitter from <see cref="StreamPipelineHostOptions.RestartDelay"/>
/// up to <see cref="StreamPipelineHostOptions.MaxRestartDelay"/>, at most <see cref="StreamPipelineHostOptions.MaxRestarts"/>
/// times in a row), until the input ends or the host stops (what was processed after the last checkpoint is redone by
/// the next start). When it gives up, it stays <see cref="StreamPipelineHostStatus.Failed"/> with the cause in
/// <see cref="Failure"/> and the host keeps running (a health check reports it). Owns and disposes the pipeline.
/// Register it with <c>services.AddStreamPipeline(…)</c> (<see cref="StreamPipelineServiceCollectionExtensions"/>).
/// </summary>
public sealed class StreamPipelineHostedService : BackgroundService, IAsyncDisposable
{
    private readonly StreamPipeline _pipeline;
    private readonly StreamPipelineHostOptions _options;
    private readonly ILogger _logger;
    private int _restarts;
    private volatile StreamPipelineHostStatus _status;
    private volatile Exception? _failure;

    /// <summary>Runs <paramref name="pipeline"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A delay is negative or longer than a day, or <see cref="StreamPipelineHostOptions.MaxRestarts"/> is negative.</exception>
    public StreamPipelineHostedService(StreamPipeline pipeline, StreamPipelineHostOptions? options = null, ILogger<StreamPipelineHostedService>? logger = null)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _options = options ?? new StreamPipelineHostOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxRestarts, "MaxRestarts");
        foreach (var (delay, name) in new[] { (_options.RestartDelay, "RestartDelay"), (_options.MaxRestartDelay, "MaxRestartDelay") })
        {
            if (delay < TimeSpan.Zero || delay > TimeSpan.FromDays(1))
            {
                throw new ArgumentOutOfRangeException(name, delay, $"StreamPipelineHostOptions.{name} is a wait between restarts: from 0 to a day.");
            }
        }

        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The pipeline it runs.</summary>
    public StreamPipeline Pipeline => _pipeline;

    /// <summary>Runs started again after a failure, over the service's life.</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    /// <summary>Where the service is.</summary>
    public StreamPipelineHostStatus Status => _status;

    /// <summary>The last failure of the pipeline (while it restarts, and why it gave up); null when it has not failed.</summary>
    public Exception? Failure => _failure;

    /// <summary>The options it runs with.</summary>
    public StreamPipelineHostOptions Options => _options;

    /// <summary>When the current (or last) run started.</summary>
    internal DateTimeOffset? RunningSince { get; private set; }

    /// <summary>The last run's result, once a run reached the end of its input.</summary>
    public StreamRunResult? Result { get; private set; }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var restarts = BuildRestarts();
        try
        {
            while (true)
            {
                // One Polly execution per streak of failures: a run that checkpointed before failing made progress, so
                // it ends the streak and the next one starts with a fresh budget (and the shortest wait).
                var outcome = await restarts.ExecuteAsync(RunOnceAsync, stoppingToken).ConfigureAwait(false);
                if (outcome is { } result)
                {
                    Result = result;
                    _status = StreamPipelineHostStatus.Completed;
                    StreamLog.HostedRunCompleted(_logger, _pipeline.Name, result.MessagesRead);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _status = StreamPipelineHostStatus.Stopped;
        }
        catch (Exception ex) when (ex is StreamException or StateException)
        {
            _failure = ex;
            _status = StreamPipelineHostStatus.Failed;
            StreamLog.HostedGaveUp(_logger, ex, _pipeline.Name, Restarts, _options.MaxRestarts);
        }
    }

    /// <summary>Runs the pipeline once: its result, or null when it failed after completing a checkpoint (progress).</summary>
    private async ValueTask<StreamRunResult?> RunOnceAsync(CancellationToken cancellationToken)
    {
        var checkpointsBefore = (await _pipeline.GetStatisticsAsync(cancellationToken).ConfigureAwait(false)).CheckpointsCompleted;
        RunningSince = _options.TimeProvider.GetUtcNow();
        _status = StreamPipelineHostStatus.Running;
        try
        {
            return await _pipeline.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StreamException or StateException && !cancellationToken.IsCancellationRequested)
        {
            _failure = ex;
            var checkpointsAfter = (await _pipeline.GetStatisticsAsync(CancellationToken.None).ConfigureAwait(false)).CheckpointsCompleted;
            if (_options.RestartOnFailure && checkpointsAfter > checkpointsBefore)
            {
                _status = StreamPipelineHostStatus.Restarting;
                Interlocked.Increment(ref _restarts);
                StreamLog.HostedRunFailed(_logger, ex, _pipeline.Name, 0);
                return null;
            }

            throw;
        }
    }

    private ResiliencePipeline BuildRestarts()
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = _options.TimeProvider };
        if (_options.RestartOnFailure && _options.MaxRestarts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = _options.MaxRestarts,
                Delay = _options.RestartDelay,
                MaxDelay = _options.MaxRestartDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<StreamException>().Handle<StateException>(),
                OnRetry = args =>
                {
                    _status = StreamPipelineHostStatus.Restarting;
                    Interlocked.Increment(ref _restarts);
                    StreamLog.HostedRunFailed(_logger, args.Outcome.Exception!, _pipeline.Name, args.RetryDelay.TotalSeconds);
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.Build();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Dispose();
        await _pipeline.DisposeAsync().ConfigureAwait(false);
    }
}

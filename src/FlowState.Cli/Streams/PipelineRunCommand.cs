using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FlowState.Streaming;

namespace FlowState.Cli.Streams;

/// <summary>
/// <c>flowstate run pipeline.yaml</c>: runs a stream pipeline, printing progress every second and a summary (with the
/// top keys of each counting processor). A later run continues from the last complete checkpoint; Ctrl+C stops cleanly.
/// </summary>
internal static class PipelineRunCommand
{
    private const int TopKeys = 8;

    public static async Task<int> RunAsync(PipelineFile file, ParseResult parse, CliConsole console, CancellationToken cancellationToken)
    {
        var location = file.BackendType switch
        {
            "Memory" => null,
            _ when !file.StateEnabled => null,
            _ when file.CheckpointDirectory is null => null, // checkpoint storage of a registered kind (S3): keyed state in memory
            "RocksDb" => StoreLocation.Parse(parse.GetValue(CliOptions.Store) ?? "rocksdb:" + (file.StorePath ?? "flowstate-rocksdb")),
            _ => StoreLocation.Parse(parse.GetValue(CliOptions.Store) ?? file.StorePath),
        };
        var store = location is null ? new StateStore() : await location.OpenAsync(mustExist: false, cancellationToken);
        await using var storeScope = store;
        await using var pipeline = file.Build(store);
        var o = pipeline.Options;
        var interval = o.CheckpointInterval is { } i ? string.Create(CultureInfo.InvariantCulture, $" every {i.TotalMilliseconds:0} ms") : string.Empty;
        var checkpoints = file.StateEnabled ? $"checkpoints in {pipeline.CheckpointStorage!.Description}{interval}{(o.ExactlyOnce ? ", exactly-once" : string.Empty)}" : "no checkpoints";
        await console.Out.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"pipeline {pipeline.Name}: {o.Partitions} partition(s), state {(location?.ToString() ?? "in memory")}, {checkpoints}"));
        var watch = Stopwatch.StartNew();
        using var progress = new Timer(_ => PrintProgress(pipeline, console, watch), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        StreamRunResult result;
        try
        {
            result = await pipeline.RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var reached = (await pipeline.GetStatisticsAsync(CancellationToken.None)).LastCheckpointId;
            await console.Out.WriteLineAsync(reached is null
                ? "stopped before the first checkpoint; run the same command again to start over"
                : $"stopped; run the same command again to continue from checkpoint {reached}");
            return FlowStateCli.Interrupted;
        }
        catch (StreamException ex)
        {
            throw new CliException($"{ex.Message}{(ex.InnerException is { } inner && !ex.Message.Contains(inner.Message, StringComparison.Ordinal) ? $" ({inner.Message})" : string.Empty)} Fix the cause and run the same command again to continue from the last checkpoint.");
        }

        await progress.DisposeAsync();
        var continued = result.RecoveredFromCheckpointId is { } from ? string.Create(CultureInfo.InvariantCulture, $" (continued from checkpoint {from})") : string.Empty;
        var last = result.LastCheckpointId is { } id ? string.Create(CultureInfo.InvariantCulture, $", last {id}") : string.Empty;
        await console.Out.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"pipeline {pipeline.Name} completed{continued}: {result.MessagesRead} message(s) read, {result.MessagesWritten} written, {result.CheckpointsCompleted} checkpoint(s){last}, {watch.Elapsed.TotalSeconds:0.00} s"));
        foreach (var processor in file.CountingProcessors)
        {
            await PrintTopKeysAsync(pipeline.StateOf(processor), processor, console, cancellationToken);
        }

        return 0;
    }

    private static void PrintProgress(StreamPipeline pipeline, CliConsole console, Stopwatch watch)
    {
        var statistics = pipeline.GetStatisticsAsync().AsTask().GetAwaiter().GetResult();
        lock (console.Out)
        {
            var last = statistics.LastCheckpointId?.ToString(CultureInfo.InvariantCulture) ?? "none";
            console.Out.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {statistics.MessagesRead} message(s) read ({statistics.MessagesRead / Math.Max(watch.Elapsed.TotalSeconds, 0.001):0}/s), last checkpoint {last}"));
        }
    }

    private static async Task PrintTopKeysAsync(IStateReader counts, string processor, CliConsole console, CancellationToken cancellationToken)
    {
        var all = new List<(string Key, long Count)>();
        await foreach (var key in counts.ListKeysAsync(cancellationToken: cancellationToken))
        {
            all.Add((key, await counts.GetAsync<long>(key, cancellationToken)));
        }

        var total = all.Sum(c => c.Count);
        await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{processor}: {all.Count} key(s), {total} counted; top {Math.Min(TopKeys, all.Count)}:"));
        foreach (var (key, count) in all.OrderByDescending(c => c.Count).ThenBy(c => c.Key, StringComparer.Ordinal).Take(TopKeys))
        {
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {count,6}  {key}"));
        }
    }
}

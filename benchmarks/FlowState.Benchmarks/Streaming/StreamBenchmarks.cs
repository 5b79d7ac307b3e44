using System.Diagnostics;
using System.Globalization;
using FlowState.Benchmarks.Durable;
using FlowState.Checkpoints;
using FlowState.Streaming;

namespace FlowState.Benchmarks.Streaming;

/// <summary>
/// Stream runtime rows, each repeated and paired in the same run: word-count throughput with exactly-once checkpoints
/// every second vs the same pipeline without checkpoints (target ≥ 0.7×) and vs a plain loop doing the same work
/// (target ≥ 500,000 words/s); the time of an incremental checkpoint with 1%
/// of the keys dirty vs a full one of the same state (target ≤ 5%), each from the request until it is complete on
/// disk (manifest written and fsynced); the time to recover that state (target ≤ 1 s for
/// 1M keys). <c>dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- streams [--quick] [--dir path]</c>.
/// </summary>
internal static class StreamBenchmarks
{
    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var root = ChildProcess.HarnessDirectory(args, "streams");
        var repetitions = 3;
        var lines = quick ? 150_000 : 400_000;
        var keys = quick ? 200_000 : 1_000_000;
        var rows = new List<string>();

        var input = Path.Combine(root, "words.txt");
        WriteText(input, lines);
        var with = new List<double>();
        var without = new List<double>();
        var plain = new List<double>();
        for (var i = 0; i < repetitions; i++)
        {
            plain.Add(PlainLoopWordsPerSecond(root, input));
            without.Add(await WordsPerSecondAsync(root, input, checkpoints: false));
            with.Add(await WordsPerSecondAsync(root, input, checkpoints: true));
        }

        var throughput = new Measurement("×", with.Zip(without, (w, o) => w / o).ToList());
        var withRate = new Measurement("words/s", with);
        rows.Add($"| word count, {lines:N0} lines, 2 partitions, exactly-once file sink, checkpoints every 1 s | {withRate.Describe()} | no checkpoints: {new Measurement("words/s", without).Describe()} | {throughput.Describe()} | ≥ 0.7× | {(throughput.Median >= 0.7 ? "pass" : "miss")} |");
        Console.WriteLine(rows[^1]);
        rows.Add($"| the same word count, exactly-once | {withRate.Describe()} | a plain loop doing the same work (read, split, count, one buffered output line per word; no state store, no exactly-once): {new Measurement("words/s", plain).Describe()} | {new Measurement("×", with.Zip(plain, (w, p) => w / p).ToList()).Describe()} | ≥ 500,000 words/s | {(withRate.Median >= 500_000 ? "pass" : "miss")} |");
        Console.WriteLine(rows[^1]);

        var incremental = new List<double>();
        var full = new List<double>();
        var recovery = new List<double>();
        for (var i = 0; i < repetitions; i++)
        {
            var (incrementalMs, fullMs, recoveryMs, _, _) = await CheckpointTimesAsync(root, keys, exactlyOnce: false);
            incremental.Add(incrementalMs);
            full.Add(fullMs);
            recovery.Add(recoveryMs);
        }

        var share = new Measurement("×", incremental.Zip(full, (a, b) => a / b).ToList());
        rows.Add($"| incremental checkpoint, 1% of {keys:N0} keys dirty | {new Measurement("ms", incremental).Describe()} | full checkpoint of the same state: {new Measurement("ms", full).Describe()} | {share.Describe()} | ≤ 0.05× | {(share.Median <= 0.05 ? "pass" : "miss")} |");
        Console.WriteLine(rows[^1]);

        // The same with every message carrying an id through ExactlyOnceProcessor: its log is keyed state too.
        var logged = new List<(double Incremental, double Full, long IncrementalBytes, long FullBytes)>();
        for (var i = 0; i < repetitions; i++)
        {
            var (incrementalMs, fullMs, _, incrementalBytes, fullBytes) = await CheckpointTimesAsync(root, keys, exactlyOnce: true);
            logged.Add((incrementalMs, fullMs, incrementalBytes, fullBytes));
        }

        var loggedTime = new Measurement("×", logged.Select(l => l.Incremental / l.Full).ToList());
        rows.Add($"| incremental checkpoint with the exactly-once id log, 1% of {keys:N0} keys dirty: time | {new Measurement("ms", logged.Select(l => l.Incremental).ToList()).Describe()} | full checkpoint of the same state: {new Measurement("ms", logged.Select(l => l.Full).ToList()).Describe()} | {loggedTime.Describe()} | ≤ 0.05× | {(loggedTime.Median <= 0.05 ? "pass" : "miss")} |");
        Console.WriteLine(rows[^1]);
        var loggedSize = new Measurement("×", logged.Select(l => (double)l.IncrementalBytes / l.FullBytes).ToList());
        rows.Add($"| the same: size | {new Measurement("bytes", logged.Select(l => (double)l.IncrementalBytes).ToList()).Describe()} | full checkpoint: {new Measurement("bytes", logged.Select(l => (double)l.FullBytes).ToList()).Describe()} | {loggedSize.Describe()} | ≤ 0.05× | {(loggedSize.Median <= 0.05 ? "pass" : "miss")} |");
        Console.WriteLine(rows[^1]);
        var recoverySeconds = new Measurement("s", recovery.Select(ms => ms / 1000).ToList());
        var recoveryTarget = 1.0 * keys / 1_000_000;
        rows.Add($"| recovery of {keys:N0} keys from a full checkpoint | {recoverySeconds.Describe()} | — | — | ≤ {recoveryTarget:0.0} s | {(recoverySeconds.Median <= recoveryTarget ? "pass" : "miss")} |");
        Console.WriteLine(rows[^1]);

        ResultsTable.Print("| operation | FlowState (median, min–max) | baseline (same run) | ratio | target | result |", rows, Path.Combine(root, "streams-results.md"));
        return 0;
    }

    private static void WriteText(string path, int lines)
    {
        var random = new Random(42);
        var vocabulary = Enumerable.Range(0, 5000).Select(i => "w" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        using var writer = new StreamWriter(path);
        for (var i = 0; i < lines; i++)
        {
            for (var w = 0; w < 10; w++)
            {
                writer.Write(vocabulary[(int)Math.Min(vocabulary.Length - 1, -Math.Log(1 - random.NextDouble()) * 600)]);
                writer.Write(w == 9 ? '\n' : ' ');
            }
        }
    }

    /// <summary>The word count's work without the stream runtime: what a message costs at least, on this machine.</summary>
    private static double PlainLoopWordsPerSecond(string root, string input)
    {
        var output = DurableBenchmarks.Fresh(root, "wc-loop");
        var watch = Stopwatch.StartNew();
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        long words = 0;
        using (var writer = new StreamWriter(output))
        {
            foreach (var line in File.ReadLines(input))
            {
                foreach (var word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, word, out _);
                    count++;
                    words++;
                    writer.Write("{\"key\":\"");
                    writer.Write(word);
                    writer.Write("\",\"value\":");
                    writer.Write(count);
                    writer.Write("}\n");
                }
            }
        }

        var seconds = watch.Elapsed.TotalSeconds;
        File.Delete(output);
        return words / seconds;
    }

    private static async Task<double> WordsPerSecondAsync(string root, string input, bool checkpoints)
    {
        var folder = DurableBenchmarks.Fresh(root, checkpoints ? "wc-eos" : "wc-plain");
        var builder = new StreamPipelineBuilder("word-count")
            .AddSource(new JsonLinesFileSource("text", input) { Format = JsonLinesFileFormat.Text })
            .AddProcessor(new TokenizeProcessor("words"))
            .AddProcessor(new CountByKeyProcessor("counts"))
            .AddSink(new JsonLinesFileSink("out", Path.Combine(folder, "out")))
            .WithPartitions(2);
        if (checkpoints)
        {
            builder.WithCheckpoints(new DirectoryCheckpointStorage(Path.Combine(folder, "checkpoints")), TimeSpan.FromSeconds(1))
                .Configure(o => o.ExactlyOnce = true);
        }

        await using var pipeline = builder.Build();
        var watch = Stopwatch.StartNew();
        var result = await pipeline.RunAsync();
        var seconds = watch.Elapsed.TotalSeconds;
        Directory.Delete(folder, recursive: true);
        return result.MessagesWritten / seconds;
    }

    private static async Task<(double Incremental, double Full, double Recovery, long IncrementalBytes, long FullBytes)> CheckpointTimesAsync(string root, int keys, bool exactlyOnce)
    {
        var folder = DurableBenchmarks.Fresh(root, "checkpoints");
        var storage = new DirectoryCheckpointStorage(folder);
        var source = new SyntheticKeySource("keys", withIds: exactlyOnce);
        var all = Enumerable.Range(0, keys).Select(i => "key-" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        StreamPipeline Build(ISource from) => new StreamPipelineBuilder("state")
            .AddSource(from)
            .AddProcessor(exactlyOnce ? new ExactlyOnceProcessor(new CountByKeyProcessor("counts")) : new CountByKeyProcessor("counts"))
            .WithPartitions(2)
            .WithCheckpoints(storage)
            .Configure(o =>
            {
                o.FullCheckpointEvery = 2;
                o.BatchSize = 4096;
            })
            .Build();
        double incremental, full;
        long incrementalBytes, fullBytes;
        await using (var pipeline = Build(source))
        {
            using var stop = new CancellationTokenSource();
            var run = pipeline.RunAsync(stop.Token);
            var random = new Random(7);
            async Task<(CheckpointManifest Manifest, double Milliseconds)> LoadAndCheckpointAsync(IEnumerable<string> batch, long until)
            {
                source.Emit(batch);
                // The checkpoint is timed from an idle pipeline: its time is the snapshot's, not the processing still in flight.
                while ((await pipeline.GetStatisticsAsync()).MessagesProcessed < until)
                {
                    await Task.Delay(5);
                }

                // Timed from the request until the checkpoint is complete on disk: the manifest's own duration stops
                // before its manifest is written and fsynced (about a fifth of the whole), so it is not used here.
                var watch = Stopwatch.StartNew();
                var id = await pipeline.CreateCheckpointAsync();
                var milliseconds = watch.Elapsed.TotalMilliseconds;
                return ((await pipeline.ListCheckpointsAsync()).Single(m => m.Id == id), milliseconds);
            }

            await LoadAndCheckpointAsync(all, keys);
            var dirty = keys / 100;
            var second = await LoadAndCheckpointAsync(Enumerable.Range(0, dirty).Select(_ => all[random.Next(keys)]), keys + dirty);
            var third = await LoadAndCheckpointAsync(Enumerable.Range(0, dirty).Select(_ => all[random.Next(keys)]), keys + (2L * dirty));
            if (!second.Manifest.Incremental || third.Manifest.Incremental)
            {
                throw new InvalidOperationException("the benchmark expected an incremental then a full checkpoint");
            }

            incremental = second.Milliseconds;
            full = third.Milliseconds;
            incrementalBytes = second.Manifest.Files.Sum(f => f.Bytes);
            fullBytes = third.Manifest.Files.Sum(f => f.Bytes);
            await stop.CancelAsync();
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (exactlyOnce)
        {
            Directory.Delete(folder, recursive: true);
            return (incremental, full, 0, incrementalBytes, fullBytes);
        }

        await using var restored = Build(new SyntheticKeySource("keys"));
        var watch = Stopwatch.StartNew();
        await restored.RecoverFromLatestCheckpointAsync();
        var recovery = watch.Elapsed.TotalMilliseconds;
        if ((await restored.GetStatisticsAsync()).StateEntries != keys)
        {
            throw new InvalidOperationException("the recovered state does not hold every key");
        }

        Directory.Delete(folder, recursive: true);
        return (incremental, full, recovery, incrementalBytes, fullBytes);
    }
}

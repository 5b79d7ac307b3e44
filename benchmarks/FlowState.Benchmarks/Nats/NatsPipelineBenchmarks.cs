using System.Diagnostics;
using System.Globalization;
using System.Text;
using FlowState.Benchmarks.Durable;
using FlowState.Checkpoints;
using FlowState.Nats;
using FlowState.Streaming;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace FlowState.Benchmarks.Nats;

/// <summary>
/// JetStream in, JetStream out, on a real nats-server started with the test scripts, paired in the same run: a pipeline
/// (JetStream source → count per key → JetStream sink, 2 partitions, checkpoints every second, state in memory) with
/// the exactly-once sink vs the same pipeline with the at-least-once sink, and both beside a plain NATS.Net loop doing
/// the transport alone (fetch from the input stream, publish each message to the output with acknowledgements awaited
/// in windows of 512; no state, no checkpoints). Every output message is acknowledged by JetStream before a run ends.
/// Two more exactly-once rows read through a durable consumer acknowledged after each completed checkpoint: on the
/// limits stream (one "ack all" per batch) and on a work-queue stream (one acknowledgement per message; each repetition
/// gets its own input stream, filled before the clock starts).
/// <c>dotnet run -c Release --project benchmarks/FlowState.Benchmarks -- nats [--quick]</c>.
/// </summary>
internal static class NatsPipelineBenchmarks
{
    private const int Keys = 1_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var messages = quick ? 30_000 : 200_000;
        var repetitions = 3;
        var directory = Path.Combine(Path.GetTempPath(), $"flowstate-bench-nats-{Guid.NewGuid():N}");
        var rows = new List<string>();
        try
        {
            var url = $"nats://127.0.0.1:{ChildProcess.RunScript("start-nats.sh", directory)}";
            await using var connection = new NatsConnection(new NatsOpts { Url = url });
            var jetStream = new NatsJSContext(connection);
            await CreateStreamAsync(jetStream, "BENCHIN");
            await PublishInputAsync(jetStream, "BENCHIN", messages);

            var exactlyOnce = new List<double>();
            var atLeastOnce = new List<double>();
            var plain = new List<double>();
            var durableLimits = new List<double>();
            var durableWorkQueue = new List<double>();
            for (var i = 0; i < repetitions; i++)
            {
                plain.Add(await PlainLoopAsync(jetStream, messages, $"PLAIN{i}"));
                atLeastOnce.Add(await PipelineAsync(url, jetStream, messages, directory, $"ALO{i}", exactly: false));
                exactlyOnce.Add(await PipelineAsync(url, jetStream, messages, directory, $"EO{i}", exactly: true));
                durableLimits.Add(await PipelineAsync(url, jetStream, messages, directory, $"EOD{i}", exactly: true, durable: $"bench-durable-{i}"));
                await CreateStreamAsync(jetStream, $"WQIN{i}", StreamConfigRetention.Workqueue);
                await PublishInputAsync(jetStream, $"WQIN{i}", messages);
                durableWorkQueue.Add(await PipelineAsync(url, jetStream, messages, directory, $"EOWQ{i}", exactly: true, input: $"WQIN{i}", durable: $"bench-wq-{i}"));
            }

            var eo = new Measurement("msg/s", exactlyOnce);
            var alo = new Measurement("msg/s", atLeastOnce);
            rows.Add($"| JetStream → count → JetStream, {messages:N0} messages, exactly-once sink (staged, copied at checkpoint) | {eo.Describe()} | the same pipeline, at-least-once sink: {alo.Describe()} | {new Measurement("×", exactlyOnce.Zip(atLeastOnce, (e, a) => e / a).ToList()).Describe()} |");
            Console.WriteLine(rows[^1]);
            rows.Add($"| the exactly-once pipeline reading through a durable consumer, limits stream (one \"ack all\" per batch after each checkpoint) | {new Measurement("msg/s", durableLimits).Describe()} | the same pipeline with an ephemeral consumer, nothing acknowledged: {eo.Describe()} | {new Measurement("×", durableLimits.Zip(exactlyOnce, (d, e) => d / e).ToList()).Describe()} |");
            Console.WriteLine(rows[^1]);
            rows.Add($"| the exactly-once pipeline reading through a durable consumer, work-queue stream (one acknowledgement per message; the stream deletes them) | {new Measurement("msg/s", durableWorkQueue).Describe()} | the same pipeline with an ephemeral consumer, nothing acknowledged: {eo.Describe()} | {new Measurement("×", durableWorkQueue.Zip(exactlyOnce, (d, e) => d / e).ToList()).Describe()} |");
            Console.WriteLine(rows[^1]);
            rows.Add($"| the same pipeline, at-least-once sink | {alo.Describe()} | a plain NATS.Net loop (fetch, publish, acks in windows of 512; no state, no checkpoints): {new Measurement("msg/s", plain).Describe()} | {new Measurement("×", atLeastOnce.Zip(plain, (a, p) => a / p).ToList()).Describe()} |");
            Console.WriteLine(rows[^1]);
        }
        finally
        {
            ChildProcess.RunScript("stop-nats.sh", directory);
            Directory.Delete(directory, recursive: true);
        }

        ResultsTable.Print("| operation | FlowState (median, min–max) | baseline (same run) | ratio |", rows, Path.Combine(ChildProcess.HarnessDirectory(args, "nats"), "nats-results.md"));
        return 0;
    }

    private static async Task<double> PipelineAsync(string url, NatsJSContext jetStream, int messages, string directory, string output, bool exactly, string input = "BENCHIN", string? durable = null)
    {
        await CreateStreamAsync(jetStream, output);
        ISink sink = exactly
            ? new NatsJetStreamSink("out", url, $"{output}.counts") { StagingStream = $"{output}_STAGING", StagingSubjectPrefix = $"staging.{output}" }
            : new NatsJetStreamPublishSink("out", url, $"{output}.counts");
        await using var pipeline = new StreamPipelineBuilder($"bench-{output}")
            .AddSource(new NatsJetStreamSource("in", url, input) { StopAtEnd = true, DurableConsumer = durable })
            .AddProcessor(new CountByKeyProcessor("counts"))
            .AddSink(sink)
            .WithPartitions(2)
            .WithCheckpoints(new DirectoryCheckpointStorage(Path.Combine(directory, "checkpoints", output)), TimeSpan.FromSeconds(1))
            .Configure(o => o.ExactlyOnce = exactly)
            .Build();
        var clock = Stopwatch.StartNew();
        var result = await pipeline.RunAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        var stored = (long)(await jetStream.GetStreamAsync(output)).Info.State.Messages;
        if (result.MessagesRead != messages || stored != messages)
        {
            throw new InvalidOperationException($"{output}: read {result.MessagesRead}, stored {stored}, expected {messages}");
        }

        var inputInfo = durable is null ? null : (await jetStream.GetStreamAsync(input)).Info;
        if (inputInfo is { Config.Retention: StreamConfigRetention.Workqueue, State.Messages: not 0 })
        {
            throw new InvalidOperationException($"{output}: the work-queue stream {input} still holds messages after the run; every one should have been acknowledged");
        }

        return messages / seconds;
    }

    private static async Task<double> PlainLoopAsync(NatsJSContext jetStream, int messages, string output)
    {
        await CreateStreamAsync(jetStream, output);
        var clock = Stopwatch.StartNew();
        var consumer = await jetStream.CreateOrUpdateConsumerAsync("BENCHIN", new ConsumerConfig($"plain-{output}") { AckPolicy = ConsumerConfigAckPolicy.None, MemStorage = true });
        var inFlight = new List<NatsJSPublishConcurrentFuture>();
        var copied = 0;
        while (copied < messages)
        {
            await foreach (var message in consumer.FetchNoWaitAsync(new NatsJSFetchOpts { MaxMsgs = 1000 }, NatsRawSerializer<byte[]>.Default))
            {
                inFlight.Add(await jetStream.PublishConcurrentAsync($"{output}.copy", message.Data, NatsRawSerializer<byte[]>.Default, headers: message.Headers));
                copied++;
                if (inFlight.Count >= 512)
                {
                    await DrainAsync(inFlight);
                }
            }
        }

        await DrainAsync(inFlight);
        return messages / clock.Elapsed.TotalSeconds;
    }

    private static async Task DrainAsync(List<NatsJSPublishConcurrentFuture> inFlight)
    {
        foreach (var future in inFlight)
        {
            (await future.GetResponseAsync()).EnsureSuccess();
            await future.DisposeAsync();
        }

        inFlight.Clear();
    }

    private static async Task PublishInputAsync(NatsJSContext jetStream, string stream, int messages)
    {
        var inFlight = new List<NatsJSPublishConcurrentFuture>();
        for (var i = 0; i < messages; i++)
        {
            var headers = new NatsHeaders { [NatsJetStreamSink.DefaultKeyHeader] = string.Create(CultureInfo.InvariantCulture, $"k{i % Keys}") };
            var payload = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $$"""{"seq":{{i}},"note":"an order line of a typical size"}"""));
            inFlight.Add(await jetStream.PublishConcurrentAsync($"{stream}.orders", payload, NatsRawSerializer<byte[]>.Default, headers: headers));
            if (inFlight.Count >= 512)
            {
                await DrainAsync(inFlight);
            }
        }

        await DrainAsync(inFlight);
    }

    private static async Task CreateStreamAsync(NatsJSContext jetStream, string name, StreamConfigRetention retention = StreamConfigRetention.Limits) =>
        await jetStream.CreateStreamAsync(new StreamConfig(name, [$"{name}.>"]) { Storage = StreamConfigStorage.File, Retention = retention });
}

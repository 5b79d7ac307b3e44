using System.Text;
using FlowState.Conformance;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace FlowState.Nats.Tests;

/// <summary>A real nats-server with JetStream for the tests, started by <c>scripts/start-nats.sh</c> on 127.0.0.1 and a free port, stopped by PID.</summary>
public sealed class NatsServer : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"flowstate-natstests-{Guid.NewGuid():N}");

    public string Url { get; private set; } = string.Empty;

    public NatsConnection Connection { get; private set; } = null!;

    public NatsJSContext JetStream { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Url = $"nats://127.0.0.1:{await TestServerScripts.StartAsync("start-nats.sh", _directory)}";
        // A longer connect timeout than NATS's 2 s: the suite runs beside other test assemblies on busy machines.
        Connection = new NatsConnection(new NatsOpts { Url = Url, ConnectTimeout = TimeSpan.FromSeconds(30) });
        await Connection.ConnectAsync();
        JetStream = new NatsJSContext(Connection);
    }

    public async Task DisposeAsync()
    {
        await Connection.DisposeAsync();
        await TestServerScripts.RunAsync("stop-nats.sh", _directory);
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A <c>nats://</c> URL of a 127.0.0.1 port nothing listens on (a free port, taken and given back).</summary>
    public static string UnreachableUrl()
    {
        var listener = System.Net.Sockets.TcpListener.Create(0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"nats://127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>A new stream named <paramref name="name"/> capturing <c>{name}.&gt;</c>.</summary>
    public async Task CreateStreamAsync(string name, StreamConfigRetention retention = StreamConfigRetention.Limits) =>
        await JetStream.CreateStreamAsync(new StreamConfig(name, [$"{name}.>"]) { Storage = StreamConfigStorage.File, Retention = retention });

    /// <summary>A new work-queue stream named <paramref name="name"/> capturing <c>{name}.&gt;</c>: a message is deleted once a consumer acknowledged it.</summary>
    public Task CreateWorkQueueStreamAsync(string name) => CreateStreamAsync(name, StreamConfigRetention.Workqueue);

    /// <summary>
    /// Publishes messages <c>{"seq":i}</c> keyed <c>k{i % keys}</c> as <see cref="PublishAsync"/> does, each to the subject
    /// of its key's partition, <c>{stream}.p{partition}</c>.
    /// </summary>
    public Task PublishPartitionedAsync(string stream, int partitions, int count, int keys, int from = 0) =>
        PublishEachAsync(key => $"{stream}.p{NatsPipelineGroup.PartitionOf(key, partitions)}", count, keys, from);

    /// <summary>Waits until <paramref name="stream"/> has stored <paramref name="count"/> messages, following it as they are stored.</summary>
    public async Task WaitForMessagesAsync(string stream, int count)
    {
        var consumer = await JetStream.CreateOrderedConsumerAsync(stream);
        using var timeout = new CancellationTokenSource(CrashHarnessProcess.ProgressTimeout);
        var seen = 0;
        try
        {
            await foreach (var unused in consumer.ConsumeAsync(NatsRawSerializer<byte[]>.Default, cancellationToken: timeout.Token))
            {
                if (++seen >= count)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Reported below: a cancelled consume may end without throwing, too.
        }

        throw new TimeoutException($"stream {stream} stored {seen} of {count} messages within {CrashHarnessProcess.ProgressTimeout.TotalSeconds:0} s");
    }

    /// <summary>Publishes <paramref name="count"/> messages <c>{"seq":i}</c> with key header <c>k{i % keys}</c> to <paramref name="subject"/>.</summary>
    public Task PublishAsync(string subject, int count, int keys, int from = 0) => PublishEachAsync(_ => subject, count, keys, from);

    private async Task PublishEachAsync(Func<string, string> subjectOf, int count, int keys, int from)
    {
        for (var i = from; i < from + count; i++)
        {
            var key = $"k{i % keys}";
            var headers = new NatsHeaders { [NatsJetStreamSink.DefaultKeyHeader] = key };
            (await JetStream.PublishAsync(subjectOf(key), Encoding.UTF8.GetBytes($$"""{"seq":{{i}}}"""), NatsRawSerializer<byte[]>.Default, headers: headers)).EnsureSuccess();
        }
    }

    /// <summary>Every message of <paramref name="stream"/>: its payload, headers and subject, in stream order.</summary>
    public async Task<IReadOnlyList<(string Payload, NatsHeaders? Headers, string Subject)>> ReadAllAsync(string stream)
    {
        // Up to the last sequence stored when the read began: a fetch may come back short before the end.
        var last = (await JetStream.GetStreamAsync(stream)).Info.State.LastSeq;
        var consumer = await JetStream.CreateOrderedConsumerAsync(stream);
        var messages = new List<(string, NatsHeaders?, string)>();
        ulong reached = 0;
        using var timeout = new CancellationTokenSource(CrashHarnessProcess.ProgressTimeout);
        while (reached < last)
        {
            await foreach (var message in consumer.FetchAsync(new NatsJSFetchOpts { MaxMsgs = 1000, Expires = TimeSpan.FromSeconds(2) }, NatsRawSerializer<byte[]>.Default, timeout.Token))
            {
                messages.Add((Encoding.UTF8.GetString(message.Data ?? []), message.Headers, message.Subject));
                reached = message.Metadata?.Sequence.Stream ?? reached;
                if (reached >= last)
                {
                    break;
                }
            }
        }

        return messages;
    }
}

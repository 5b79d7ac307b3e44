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
        Connection = new NatsConnection(new NatsOpts { Url = Url });
        await Connection.ConnectAsync();
        JetStream = new NatsJSContext(Connection);
    }

    public async Task DisposeAsync()
    {
        await Connection.DisposeAsync();
        await TestServerScripts.RunAsync("stop-nats.sh", _directory);
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A new stream named <paramref name="name"/> capturing <c>{name}.&gt;</c>.</summary>
    public async Task CreateStreamAsync(string name) =>
        await JetStream.CreateStreamAsync(new StreamConfig(name, [$"{name}.>"]) { Storage = StreamConfigStorage.File });

    /// <summary>Publishes <paramref name="count"/> messages <c>{"seq":i}</c> with key header <c>k{i % keys}</c> to <paramref name="subject"/>.</summary>
    public async Task PublishAsync(string subject, int count, int keys, int from = 0)
    {
        for (var i = from; i < from + count; i++)
        {
            var headers = new NatsHeaders { [NatsJetStreamSink.DefaultKeyHeader] = $"k{i % keys}" };
            (await JetStream.PublishAsync(subject, Encoding.UTF8.GetBytes($$"""{"seq":{{i}}}"""), NatsRawSerializer<byte[]>.Default, headers: headers)).EnsureSuccess();
        }
    }

    /// <summary>Every message of <paramref name="stream"/>: its payload, headers and subject, in stream order.</summary>
    public async Task<IReadOnlyList<(string Payload, NatsHeaders? Headers, string Subject)>> ReadAllAsync(string stream)
    {
        var consumer = await JetStream.CreateOrderedConsumerAsync(stream);
        var messages = new List<(string, NatsHeaders?, string)>();
        while (true)
        {
            var fetched = 0;
            await foreach (var message in consumer.FetchNoWaitAsync(new NatsJSFetchOpts { MaxMsgs = 1000 }, NatsRawSerializer<byte[]>.Default))
            {
                fetched++;
                messages.Add((Encoding.UTF8.GetString(message.Data ?? []), message.Headers, message.Subject));
            }

            if (fetched == 0)
            {
                return messages;
            }
        }
    }
}

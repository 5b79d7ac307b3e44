using NATS.Client.Core;
using NATS.Client.JetStream;

namespace FlowState.Nats;

/// <summary>
/// The connection a NATS source or sink works through, and whether closing it is theirs: one made from a URL is the
/// component's own and closes with it; one it was given belongs to the caller.
/// </summary>
internal sealed class JetStreamConnection : IAsyncDisposable
{
    private readonly INatsConnection _connection;
    private readonly bool _owned;

    private JetStreamConnection(INatsConnection connection, bool owned)
    {
        _connection = connection;
        _owned = owned;
        JetStream = new NatsJSContext(connection);
    }

    public NatsJSContext JetStream { get; }

    public INatsConnection Connection => _connection;

    /// <summary>The caller's connection, left open by <see cref="DisposeAsync"/>.</summary>
    public static JetStreamConnection Borrowed(INatsConnection connection) =>
        new(connection ?? throw new ArgumentNullException(nameof(connection)), owned: false);

    /// <summary>A connection to <paramref name="url"/>, made when first used and closed by <see cref="DisposeAsync"/>.</summary>
    public static JetStreamConnection Owned(string url, string clientName) =>
        new(new NatsConnection(new NatsOpts { Url = url, Name = clientName }), owned: true);

    public ValueTask DisposeAsync() => _owned ? _connection.DisposeAsync() : ValueTask.CompletedTask;
}

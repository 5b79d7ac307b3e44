using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FlowState.Redis.Tests;

/// <summary>
/// A TCP proxy in front of a real redis-server that can hold back a client's <c>SUBSCRIBE</c> to one channel (as a
/// resubscription that is slow to reach the server after a reconnect), and tells when a command has been answered —
/// so a test can commit a change in the window between a reconnect and the subscription being back.
/// </summary>
internal sealed class SubscriptionHoldingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _serverPort;
    private readonly byte[] _channel;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Lock _gate = new();
    private TaskCompletionSource? _release;
    private (byte[] Command, TaskCompletionSource Answered)? _awaited;

    private SubscriptionHoldingProxy(int serverPort, string channel)
    {
        _serverPort = serverPort;
        _channel = Encoding.UTF8.GetBytes(channel);
        _listener.Start();
        _pumps.Add(AcceptAsync());
    }

    /// <summary>The address clients connect to instead of the server's.</summary>
    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public static SubscriptionHoldingProxy Start(int serverPort, string channel) => new(serverPort, channel);

    /// <summary>From now on, data from a client that subscribes to the channel waits until <see cref="Release"/>.</summary>
    public void HoldSubscriptions()
    {
        lock (_gate)
        {
            _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Lets held subscriptions through, and everything after them.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _release?.TrySetResult();
            _release = null;
        }
    }

    /// <summary>Completes once a client has sent <paramref name="command"/> (in capitals, as clients send them) and the server's next reply to that client has passed back.</summary>
    public Task AnsweredAsync(string command)
    {
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _awaited = (Encoding.ASCII.GetBytes(command), answered);
        }

        return answered.Task;
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _stop.CancelAsync();
        _listener.Stop();
        Task[] pumps;
        lock (_gate)
        {
            pumps = [.. _pumps];
        }

        await Task.WhenAll(pumps.Select(pump => pump.ContinueWith(_ => { }, TaskScheduler.Default)));
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            var server = new TcpClient();
            await server.ConnectAsync(IPAddress.Loopback, _serverPort, _stop.Token);
            var exchange = new Exchange(client, server);
            lock (_gate)
            {
                _pumps.Add(PumpAsync(exchange, toServer: true));
                _pumps.Add(PumpAsync(exchange, toServer: false));
            }
        }
    }

    private async Task PumpAsync(Exchange exchange, bool toServer)
    {
        var from = (toServer ? exchange.Client : exchange.Server).GetStream();
        var to = (toServer ? exchange.Server : exchange.Client).GetStream();
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                var chunk = buffer.AsSpan(0, read);
                Task? held = null;
                TaskCompletionSource? answered = null;
                lock (_gate)
                {
                    if (toServer && _release is { } release && chunk.IndexOf("SUBSCRIBE"u8) >= 0 && chunk.IndexOf(_channel) >= 0)
                    {
                        held = release.Task;
                    }

                    if (toServer && _awaited is { } awaited && chunk.IndexOf(awaited.Command) >= 0)
                    {
                        exchange.Awaiting = awaited.Answered;
                        _awaited = null;
                    }
                    else if (!toServer && exchange.Awaiting is { } waiting)
                    {
                        answered = waiting;
                        exchange.Awaiting = null;
                    }
                }

                if (held is not null)
                {
                    await held.WaitAsync(_stop.Token);
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                answered?.TrySetResult();
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side closed (a killed client, or the proxy stopping): the exchange ends.
        }
        finally
        {
            exchange.Client.Close();
            exchange.Server.Close();
        }
    }

    private sealed class Exchange(TcpClient client, TcpClient server)
    {
        public TcpClient Client => client;

        public TcpClient Server => server;

        public TaskCompletionSource? Awaiting { get; set; }
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace FlowState.Inspector.Tests;

/// <summary>The inspector on its own Kestrel server on 127.0.0.1 and a free port, and a client that sends its token.</summary>
internal sealed class InspectorServer : IAsyncDisposable
{
    public const string Token = "test-token-0123456789";

    private readonly FlowStateInspectorServer _server;

    private InspectorServer(FlowStateInspectorServer server, HttpClient client)
    {
        _server = server;
        Client = client;
    }

    /// <summary>The inspector's root, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address => _server.Address;

    /// <summary>A client of the API (<c>api/v1/</c>) that sends the token.</summary>
    public HttpClient Client { get; }

    public static async Task<InspectorServer> StartAsync(InspectedStore store, Action<FlowStateInspectorOptions>? configure = null)
    {
        var server = await FlowStateInspectorServer.StartAsync(store, new IPEndPoint(IPAddress.Loopback, 0), options =>
        {
            options.AccessToken = Token;
            configure?.Invoke(options);
        });
        var client = new HttpClient { BaseAddress = new Uri(server.Address, "api/v1/"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return new InspectorServer(server, client);
    }

    /// <summary>GET <paramref name="path"/> of the API as a JSON object; fails the test on an error status, showing the body.</summary>
    public async Task<JsonObject> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _server.DisposeAsync();
    }
}

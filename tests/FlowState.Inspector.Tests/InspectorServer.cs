using System.Net.Http.Headers;
using FlowState.Inspector;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlowState.Inspector.Tests;

/// <summary>The inspector in a real Kestrel server on 127.0.0.1 and a free port, embedded as an app would embed it.</summary>
internal sealed class InspectorServer : IAsyncDisposable
{
    public const string Token = "test-token-0123456789";

    private readonly WebApplication _app;

    private InspectorServer(WebApplication app, Uri address, HttpClient client)
    {
        _app = app;
        Address = address;
        Client = client;
    }

    /// <summary>The inspector's root, e.g. <c>http://127.0.0.1:41234/flowstate/</c>.</summary>
    public Uri Address { get; }

    /// <summary>A client that sends the token.</summary>
    public HttpClient Client { get; }

    public static async Task<InspectorServer> StartAsync(InspectedStore store, Action<FlowStateInspectorOptions>? configure = null, string prefix = "/flowstate")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Services.AddSingleton(store);
        builder.Services.AddFlowStateInspector(options =>
        {
            options.AccessToken = Token;
            configure?.Invoke(options);
        });
        var app = builder.Build();
        app.MapFlowStateInspector(prefix);
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var address = new Uri(bound.TrimEnd('/') + prefix.TrimEnd('/') + "/");
        var client = new HttpClient { BaseAddress = new Uri(address, "api/v1/"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return new InspectorServer(app, address, client);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

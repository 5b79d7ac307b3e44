using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlowState.Inspector;

/// <summary>
/// The inspector on a web server of its own (Kestrel), for a process that has no ASP.NET Core app to map it into: a
/// worker, a console tool, <c>flowstate serve</c>. Stop it by disposing it.
/// </summary>
public sealed class FlowStateInspectorServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FlowStateInspectorServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>Where the inspector's page is, e.g. <c>http://127.0.0.1:7171/</c> (its API is under <c>api/v1/</c>).</summary>
    public Uri Address { get; }

    /// <summary>Starts serving <paramref name="store"/> on <paramref name="endpoint"/> (port 0: a free one; <see cref="Address"/> names it).</summary>
    /// <param name="store">What to show.</param>
    /// <param name="endpoint">Where to listen; use a loopback address unless others must reach it.</param>
    /// <param name="configure">The inspector's options (token, writes, redaction, pipelines, flows).</param>
    /// <param name="cancellationToken">Stops the start.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are not valid.</exception>
    /// <exception cref="IOException">The address is in use.</exception>
    public static async Task<FlowStateInspectorServer> StartAsync(InspectedStore store, IPEndPoint endpoint, Action<FlowStateInspectorOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(endpoint);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(endpoint));
        builder.Services.AddSingleton(store);
        builder.Services.AddFlowStateInspector(configure);
        var app = builder.Build();
        try
        {
            app.MapFlowStateInspector("/");
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new FlowStateInspectorServer(app, new Uri(bound.TrimEnd('/') + "/"));
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops serving; the store stays open (it is the caller's).</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

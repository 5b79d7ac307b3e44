using FlowState.Inspector;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the FlowState inspector: its page and its HTTP API (<c>{prefix}/api/v1/…</c>).</summary>
public static class FlowStateInspectorEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves the inspector under <paramref name="prefix"/>: the page at <c>{prefix}/</c>, the API at
    /// <c>{prefix}/api/v1/…</c> and its OpenAPI document. Needs <c>services.AddFlowStateInspector()</c>. The returned
    /// group takes the app's own conventions, e.g. <c>.RequireAuthorization()</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>AddFlowStateInspector</c> was not called.</exception>
    public static RouteGroupBuilder MapFlowStateInspector(this IEndpointRouteBuilder endpoints, string prefix = "/flowstate")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var services = endpoints.ServiceProvider;
        if (services.GetService<InspectedStore>() is not { } store)
        {
            throw new InvalidOperationException("The FlowState inspector is not registered: call services.AddFlowStateInspector() before MapFlowStateInspector.");
        }

        var options = services.GetRequiredService<IOptions<FlowStateInspectorOptions>>().Value;
        var values = new InspectorValues(options);
        var access = new InspectorAccess(options);
        var read = new InspectorReadApi(store, options, values);
        var write = new InspectorWriteApi(store, values, options, services.GetRequiredService<InspectorResumes>());
        var live = new InspectorLiveApi(store, options, services.GetRequiredService<TimeProvider>());
        var agentFramework = new InspectorAgentFrameworkApi(store, options, values);

        prefix = "/" + prefix.Trim('/');
        var group = endpoints.MapGroup(prefix);
        // Routing treats "/flowstate" and "/flowstate/" alike; the page's relative links need the slash.
        group.MapGet("/", (HttpContext context) => context.Request.Path.Value?.EndsWith('/') == true
                ? InspectorAssets.Serve("index.html")
                : Results.Redirect(context.Request.PathBase + context.Request.Path + "/"))
            .ExcludeFromDescription();
        group.MapGet("/assets/{name}", (string name) => InspectorAssets.Serve(name)).ExcludeFromDescription();

        var api = group.MapGroup("/api/v1").WithGroupName(FlowStateInspectorServiceCollectionExtensions.OpenApiDocumentName);
        EndpointFilterDelegate Guarded(EndpointFilterDelegate next, bool writes) => async context => access.Check(context.HttpContext, writes) ?? await next(context).ConfigureAwait(false);
        var reads = api.MapGroup(string.Empty).AddEndpointFilterFactory((_, next) => Guarded(next, writes: false));
        reads.MapGet("/info", read.InfoAsync).WithName("FlowStateInspectorInfo");
        reads.MapGet("/runs", read.ListRunsAsync).WithName("FlowStateInspectorListRuns");
        reads.MapGet("/runs/{runId}", read.GetRunAsync).WithName("FlowStateInspectorGetRun");
        reads.MapGet("/runs/{runId}/steps/{index:long}", read.GetStepAsync).WithName("FlowStateInspectorGetStep");
        reads.MapGet("/runs/{runId}/diff", read.DiffAsync).WithName("FlowStateInspectorDiff");
        reads.MapGet("/runs/{runId}/events", live.RunEventsAsync).WithName("FlowStateInspectorRunEvents");
        reads.MapGet("/scopes", read.ListScopesAsync).WithName("FlowStateInspectorListScopes");
        reads.MapGet("/keys", read.ListKeysAsync).WithName("FlowStateInspectorListKeys");
        reads.MapGet("/key", (HttpRequest request, CancellationToken cancellationToken) => read.GetKeyAsync(request, raw: false, cancellationToken)).WithName("FlowStateInspectorGetKey");
        reads.MapGet("/key/raw", (HttpRequest request, CancellationToken cancellationToken) => read.GetKeyAsync(request, raw: true, cancellationToken)).WithName("FlowStateInspectorDownloadKey");
        reads.MapGet("/key/history", read.GetKeyHistoryAsync).WithName("FlowStateInspectorKeyHistory");
        reads.MapGet("/statistics", read.StatisticsAsync).WithName("FlowStateInspectorStatistics");
        reads.MapGet("/pipelines", read.ListPipelinesAsync).WithName("FlowStateInspectorListPipelines");
        reads.MapGet("/pipelines/{name}/checkpoints", read.ListCheckpointsAsync).WithName("FlowStateInspectorListCheckpoints");
        reads.MapGet("/events", live.StoreEventsAsync).WithName("FlowStateInspectorEvents");
        reads.MapGet("/agent-framework/sessions", agentFramework.ListSessionsAsync).WithName("FlowStateInspectorAgentFrameworkSessions");
        reads.MapGet("/agent-framework/session", agentFramework.GetSessionAsync).WithName("FlowStateInspectorAgentFrameworkSession");

        var writes = api.MapGroup(string.Empty).AddEndpointFilterFactory((_, next) => Guarded(next, writes: true));
        writes.MapPost("/runs/{runId}/fork", write.ForkAsync).WithName("FlowStateInspectorFork");
        writes.MapPost("/runs/{runId}/resume", write.ResumeAsync).WithName("FlowStateInspectorResume");
        writes.MapPut("/key", write.SetKeyAsync).WithName("FlowStateInspectorSetKey");
        writes.MapDelete("/runs/{runId}", write.DeleteRunAsync).WithName("FlowStateInspectorDeleteRun");
        writes.MapPost("/runs/prune", write.PruneRunsAsync).WithName("FlowStateInspectorPruneRuns");

        group.MapOpenApi("/api/v1/openapi/{documentName}.json")
            .AddEndpointFilterFactory((_, next) => Guarded(next, writes: false));
        return group;
    }
}

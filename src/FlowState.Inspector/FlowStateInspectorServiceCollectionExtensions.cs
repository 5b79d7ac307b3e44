using FlowState;
using FlowState.Flows;
using FlowState.Inspector;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the FlowState inspector.</summary>
public static class FlowStateInspectorServiceCollectionExtensions
{
    /// <summary>The name of the inspector's OpenAPI document (served at <c>{prefix}/api/v1/openapi/flowstate-inspector.json</c>).</summary>
    public const string OpenApiDocumentName = "flowstate-inspector";

    /// <summary>
    /// Registers the inspector's options (validated at startup) and its OpenAPI document. It inspects the
    /// <see cref="InspectedStore"/> registered, else the app's <see cref="StateStore"/> or
    /// <see cref="SharedStateStore"/> (with the app's <see cref="FlowRunner"/> when there is one). Map it with
    /// <c>app.MapFlowStateInspector("/flowstate")</c>.
    /// </summary>
    public static IServiceCollection AddFlowStateInspector(this IServiceCollection services, Action<FlowStateInspectorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<FlowStateInspectorOptions>();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        builder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FlowStateInspectorOptions>, FlowStateInspectorOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InspectorResumes>();
        services.TryAddSingleton(provider =>
            provider.GetService<StateStore>() is { } local ? new InspectedStore(local, provider.GetService<FlowRunner>())
            : provider.GetService<SharedStateStore>() is { } shared ? new InspectedStore(shared, provider.GetService<FlowRunner>())
            : throw new InvalidOperationException("The FlowState inspector has no store to show: register one with AddFlowState(...), or register an InspectedStore."));
        services.AddOpenApi(OpenApiDocumentName, options => options.ShouldInclude = description => description.GroupName == OpenApiDocumentName);
        return services;
    }
}

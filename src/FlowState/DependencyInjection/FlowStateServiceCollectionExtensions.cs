using FlowState.Flows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlowState;

/// <summary>Registers FlowState in a service collection.</summary>
public static class FlowStateServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="StateStore"/> (also as <see cref="IStateStore"/>), <see cref="FlowStateStorage"/>
    /// and <see cref="FlowRunner"/>. Without a backend the store is in memory. With one, the store is opened (and its
    /// state loaded) when it is first resolved, and closed when the service provider is disposed. With a shared backend
    /// (<see cref="FlowStateBuilder.UseSharedBackend"/>) it registers a <see cref="SharedStateStore"/> (also as
    /// <see cref="IStateStore"/>), <see cref="RunLeases"/> and a <see cref="FlowRunner"/> on the shared store instead
    /// (no <see cref="FlowStateStorage"/>).
    /// </summary>
    /// <example>
    /// <code>
    /// services.AddFlowState(flowState => flowState
    ///     .UseSqlite("state.db")
    ///     .BindConfiguration(configuration.GetSection("FlowState")));
    /// </code>
    /// </example>
    public static IServiceCollection AddFlowState(this IServiceCollection services, Action<FlowStateBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        // A second call would be half applied (TryAdd keeps the first store, Configure merges the options), so it is
        // refused rather than guessed at.
        if (services.Any(descriptor => descriptor.ServiceType == typeof(FlowStateRegistration)))
        {
            throw new InvalidOperationException(
                "AddFlowState was called twice on one service collection; it registers one store. Configure everything in one call (its builder takes the backend, the options and the configuration section).");
        }

        services.AddSingleton<FlowStateRegistration>();
        var builder = new FlowStateBuilder(services);
        configure?.Invoke(builder);
        if (builder.SharedBackendFactory is { } shared)
        {
            return AddSharedState(services, builder, shared);
        }

        services.AddOptions<StateStoreOptions>();
        services.AddOptions<FlowRunnerOptions>();
        var backend = builder.BackendFactory;
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<StateStoreOptions>>().Value;
            var logger = provider.GetService<ILogger<StateStore>>() ?? NullLogger<StateStore>.Instance;
            options.Backend = backend?.Invoke(provider) ?? options.Backend;
            if (options.Backend is null)
            {
                return new StateStore(Options.Create(options), logger);
            }

            // Service factories are synchronous; opening loads the stored state once, at first resolution.
            return StateStore.OpenAsync(options, logger).GetAwaiter().GetResult();
        });
        services.TryAddSingleton<IStateStore>(provider => provider.GetRequiredService<StateStore>());
        services.TryAddSingleton(provider => new FlowStateStorage(provider.GetRequiredService<StateStore>()));
        services.TryAddSingleton(provider => new FlowRunner(
            provider.GetRequiredService<StateStore>(),
            provider.GetRequiredService<IOptions<FlowRunnerOptions>>(),
            provider.GetService<ILogger<FlowRunner>>() ?? NullLogger<FlowRunner>.Instance));
        return services;
    }

    private static IServiceCollection AddSharedState(IServiceCollection services, FlowStateBuilder builder, Func<IServiceProvider, ISharedStateBackend> backend)
    {
        if (builder.BackendFactory is not null)
        {
            throw new InvalidOperationException("FlowState was given both a backend of its own (UseSqlite, UseRocksDb, UsePostgres, …) and a shared one (UseRedis, UseSharedPostgres); choose one.");
        }

        services.AddOptions<SharedStateStoreOptions>();
        services.AddOptions<FlowRunnerOptions>();
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<SharedStateStoreOptions>>().Value;
            options.Backend = backend(provider);

            // Service factories are synchronous; the store connects once, at first resolution.
            return SharedStateStore.OpenAsync(options).AsTask().GetAwaiter().GetResult();
        });
        services.TryAddSingleton<IStateStore>(provider => provider.GetRequiredService<SharedStateStore>());
        services.TryAddSingleton(provider => new RunLeases(
            provider.GetRequiredService<SharedStateStore>(),
            provider.GetRequiredService<IOptions<SharedStateStoreOptions>>().Value.TimeProvider));
        services.TryAddSingleton(provider => new FlowRunner(
            provider.GetRequiredService<SharedStateStore>(),
            provider.GetRequiredService<IOptions<FlowRunnerOptions>>().Value,
            provider.GetService<ILogger<FlowRunner>>() ?? NullLogger<FlowRunner>.Instance));
        return services;
    }
}

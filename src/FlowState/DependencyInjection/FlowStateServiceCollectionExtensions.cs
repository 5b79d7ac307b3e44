using FlowState.Flows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlowState;

/// <summary>Registers FlowState in a service collection.</summary>
public static class FlowStateServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="StateStore"/> (also as <see cref="IStateStore"/>), <see cref="FlowStateStorage"/>
    /// and <see cref="FlowRunner"/>. Without a backend the store is in memory. With one, a hosted service opens the store
    /// (and loads its state) when the host starts — a backend that cannot open stops the host from starting, with the
    /// backend's error — and flushes and closes it when the host stops, within its shutdown timeout; outside a host
    /// the store opens when it is first resolved and closes when the service provider is disposed. With a shared backend
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
        services.TryAddSingleton(provider => new FlowStateStoreHolder<StateStore>(() =>
        {
            var options = provider.GetRequiredService<IOptions<StateStoreOptions>>().Value;
            var logger = provider.GetService<ILogger<StateStore>>() ?? NullLogger<StateStore>.Instance;
            options.Backend = backend?.Invoke(provider) ?? options.Backend;
            return options.Backend is null
                ? Task.FromResult(new StateStore(Options.Create(options), logger))
                : StateStore.OpenAsync(options, logger);
        }));
        AddLifetime<StateStore>(services);
        services.TryAddSingleton(provider => provider.GetRequiredService<FlowStateStoreHolder<StateStore>>().Store);
        services.TryAddSingleton<IStateStore>(provider => provider.GetRequiredService<StateStore>());
        services.TryAddSingleton(provider => new FlowStateStorage(provider.GetRequiredService<StateStore>()));
        services.TryAddSingleton(provider => new FlowRunner(
            provider.GetRequiredService<StateStore>(),
            provider.GetRequiredService<IOptions<FlowRunnerOptions>>(),
            provider.GetService<ILogger<FlowRunner>>() ?? NullLogger<FlowRunner>.Instance));
        return services;
    }

    // First among the hosted services, so the store is open before the others start and closes after they stopped.
    private static void AddLifetime<TStore>(IServiceCollection services)
        where TStore : class, IAsyncDisposable =>
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, FlowStateStoreLifetime<TStore>>());

    private static IServiceCollection AddSharedState(IServiceCollection services, FlowStateBuilder builder, Func<IServiceProvider, ISharedStateBackend> backend)
    {
        if (builder.BackendFactory is not null)
        {
            throw new InvalidOperationException("FlowState was given both a backend of its own (UseSqlite, UseRocksDb, UsePostgres, …) and a shared one (UseRedis, UseSharedPostgres); choose one.");
        }

        services.AddOptions<SharedStateStoreOptions>();
        services.AddOptions<FlowRunnerOptions>();
        services.TryAddSingleton(provider => new FlowStateStoreHolder<SharedStateStore>(() =>
        {
            var options = provider.GetRequiredService<IOptions<SharedStateStoreOptions>>().Value;
            options.Backend = backend(provider);
            return SharedStateStore.OpenAsync(options).AsTask();
        }));
        AddLifetime<SharedStateStore>(services);
        services.TryAddSingleton(provider => provider.GetRequiredService<FlowStateStoreHolder<SharedStateStore>>().Store);
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

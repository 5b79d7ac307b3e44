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
        if (services.Any(descriptor => descriptor.ServiceType == typeof(FlowStateRegistration) && !descriptor.IsKeyedService))
        {
            throw new InvalidOperationException(
                "AddFlowState was called twice on one service collection; it registers one store. Configure everything in one call (its builder takes the backend, the options and the configuration section), or register further stores with AddKeyedFlowState.");
        }

        return Register(services, key: null, configure);
    }

    /// <summary>
    /// Registers one more store under <paramref name="key"/>, beside the one <see cref="AddFlowState"/> registers or
    /// instead of it: the same services as keyed singletons (<c>[FromKeyedServices("orders")] StateStore orders</c>,
    /// <c>provider.GetRequiredKeyedService&lt;FlowRunner&gt;("orders")</c>), its options named after the key (and its
    /// <see cref="StateStoreOptions.Name"/> the key unless configured), opened and closed with the host as the unkeyed
    /// store is. Integrations configured on its builder (Lua scripting, Agent Framework checkpoints, checkpoint storage)
    /// register their services under the same key, on this store.
    /// </summary>
    /// <exception cref="InvalidOperationException">A store is registered under <paramref name="key"/> already.</exception>
    public static IServiceCollection AddKeyedFlowState(this IServiceCollection services, string key, Action<FlowStateBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        if (services.Any(descriptor => descriptor.ServiceType == typeof(FlowStateRegistration) && descriptor.IsKeyedService && Equals(descriptor.ServiceKey, key)))
        {
            throw new InvalidOperationException($"A FlowState store is registered under the key '{key}' already; each key names one store.");
        }

        services.Configure<StateStoreOptions>(key, options => options.Name = key);
        return Register(services, key, configure);
    }

    // One path for the unkeyed store (key null: the services are registered without a key) and for keyed ones.
    private static IServiceCollection Register(IServiceCollection services, string? key, Action<FlowStateBuilder>? configure)
    {
        services.AddKeyedSingleton<FlowStateRegistration>(key);
        var builder = new FlowStateBuilder(services, key);
        configure?.Invoke(builder);
        var name = builder.OptionsName;
        if (builder.SharedBackendFactory is { } shared)
        {
            return AddSharedState(services, builder, shared);
        }

        services.AddOptions<StateStoreOptions>(name);
        services.AddOptions<FlowRunnerOptions>(name);
        var backend = builder.BackendFactory;
        services.TryAddKeyedSingleton(key, (provider, _) => new FlowStateStoreHolder<StateStore>(() =>
        {
            var options = provider.GetRequiredService<IOptionsMonitor<StateStoreOptions>>().Get(name);
            var logger = provider.GetService<ILogger<StateStore>>() ?? NullLogger<StateStore>.Instance;
            options.Backend = backend?.Invoke(provider) ?? options.Backend;
            options.MeterFactory ??= provider.GetService<System.Diagnostics.Metrics.IMeterFactory>();
            return options.Backend is null
                ? Task.FromResult(new StateStore(Options.Create(options), logger))
                : StateStore.OpenAsync(options, logger);
        }));
        AddLifetime<StateStore>(services, key);
        services.TryAddKeyedSingleton(key, (provider, _) => provider.GetRequiredKeyedService<FlowStateStoreHolder<StateStore>>(key).Store);
        services.TryAddKeyedSingleton<IStateStore>(key, (provider, _) => provider.GetRequiredKeyedService<StateStore>(key));
        services.TryAddKeyedSingleton(key, (provider, _) => new FlowStateStorage(provider.GetRequiredKeyedService<StateStore>(key)));
        services.TryAddKeyedSingleton(key, (provider, _) => new FlowRunner(
            provider.GetRequiredKeyedService<StateStore>(key),
            Options.Create(provider.GetRequiredService<IOptionsMonitor<FlowRunnerOptions>>().Get(name)),
            provider.GetService<ILogger<FlowRunner>>() ?? NullLogger<FlowRunner>.Instance));
        return services;
    }

    // Before the app's hosted services, so stores are open before those start and close after they stopped; after the
    // stores registered earlier (each registration put its lifetime at the front, in order), so they open in order.
    private static void AddLifetime<TStore>(IServiceCollection services, string? key)
        where TStore : class, IAsyncDisposable =>
        services.Insert(services.Count(d => d.ServiceType == typeof(FlowStateRegistration)) - 1, ServiceDescriptor.Singleton<IHostedService>(provider => new FlowStateStoreLifetime<TStore>(
            provider.GetRequiredKeyedService<FlowStateStoreHolder<TStore>>(key),
            provider.GetService<ILogger<FlowStateStoreLifetime<TStore>>>() ?? NullLogger<FlowStateStoreLifetime<TStore>>.Instance)));

    private static IServiceCollection AddSharedState(IServiceCollection services, FlowStateBuilder builder, Func<IServiceProvider, ISharedStateBackend> backend)
    {
        if (builder.BackendFactory is not null)
        {
            throw new InvalidOperationException("FlowState was given both a backend of its own (UseSqlite, UseRocksDb, UsePostgres, …) and a shared one (UseRedis, UseSharedPostgres); choose one.");
        }

        var key = builder.Key;
        var name = builder.OptionsName;
        services.AddOptions<SharedStateStoreOptions>(name);
        services.AddOptions<FlowRunnerOptions>(name);
        services.TryAddKeyedSingleton(key, (provider, _) => new FlowStateStoreHolder<SharedStateStore>(() =>
        {
            var options = provider.GetRequiredService<IOptionsMonitor<SharedStateStoreOptions>>().Get(name);
            options.Backend = backend(provider);
            return SharedStateStore.OpenAsync(options);
        }));
        AddLifetime<SharedStateStore>(services, key);
        services.TryAddKeyedSingleton(key, (provider, _) => provider.GetRequiredKeyedService<FlowStateStoreHolder<SharedStateStore>>(key).Store);
        services.TryAddKeyedSingleton<IStateStore>(key, (provider, _) => provider.GetRequiredKeyedService<SharedStateStore>(key));
        services.TryAddKeyedSingleton(key, (provider, _) => new RunLeases(
            provider.GetRequiredKeyedService<SharedStateStore>(key),
            provider.GetRequiredService<IOptionsMonitor<SharedStateStoreOptions>>().Get(name).TimeProvider));
        services.TryAddKeyedSingleton(key, (provider, _) => new FlowRunner(
            provider.GetRequiredKeyedService<SharedStateStore>(key),
            provider.GetRequiredService<IOptionsMonitor<FlowRunnerOptions>>().Get(name),
            provider.GetService<ILogger<FlowRunner>>() ?? NullLogger<FlowRunner>.Instance));
        return services;
    }
}

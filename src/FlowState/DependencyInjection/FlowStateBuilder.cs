using FlowState.Flows;
using Microsoft.Extensions.Configuration;
using FlowState.Checkpoints;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlowState;

/// <summary>
/// Configures the FlowState services <see cref="FlowStateServiceCollectionExtensions.AddFlowState"/> registers: the
/// store's options, its backend (<c>UseSqlite</c>, <c>UseRocksDb</c>, … from the provider packages) and the flow
/// runner's options.
/// </summary>
public sealed class FlowStateBuilder
{
    internal FlowStateBuilder(IServiceCollection services, string? key = null)
    {
        Services = services;
        Key = key;
    }

    /// <summary>The key of a keyed store (<see cref="FlowStateServiceCollectionExtensions.AddKeyedFlowState"/>); null for the store <c>AddFlowState</c> registers.</summary>
    public string? Key { get; }

    // Options of a keyed store are named after its key; the unkeyed store's have the default name.
    internal string OptionsName => Key ?? Microsoft.Extensions.Options.Options.DefaultName;
    /// <summary>The services being configured.</summary>
    public IServiceCollection Services { get; }

    internal Func<IServiceProvider, IStateBackend>? BackendFactory { get; private set; }

    internal Func<IServiceProvider, ISharedStateBackend>? SharedBackendFactory { get; private set; }

    /// <summary>Changes the store's options.</summary>
    public FlowStateBuilder ConfigureStore(Action<StateStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(OptionsName, configure);
        return this;
    }

    /// <summary>Changes the flow runner's options.</summary>
    public FlowStateBuilder ConfigureRunner(Action<FlowRunnerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(OptionsName, configure);
        return this;
    }

    /// <summary>Keeps the store in the backend <paramref name="factory"/> makes (provider packages wrap this as <c>UseSqlite</c>, …).</summary>
    public FlowStateBuilder UseBackend(Func<IServiceProvider, IStateBackend> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        BackendFactory = factory;
        return this;
    }

    /// <summary>
    /// Shares the state through the server <paramref name="factory"/> connects to (provider packages wrap this as
    /// <c>UseRedis</c> and <c>UseSharedPostgres</c>): <see cref="IStateStore"/> is then a <see cref="SharedStateStore"/>,
    /// and <see cref="RunLeases"/> and a <see cref="FlowRunner"/> on it are registered; options come from
    /// <see cref="ConfigureSharedStore"/>.
    /// </summary>
    public FlowStateBuilder UseSharedBackend(Func<IServiceProvider, ISharedStateBackend> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        SharedBackendFactory = factory;
        return this;
    }

    /// <summary>Changes the options of the shared store (<see cref="UseSharedBackend"/>).</summary>
    public FlowStateBuilder ConfigureSharedStore(Action<SharedStateStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(OptionsName, configure);
        return this;
    }

    /// <summary>
    /// Registers a <see cref="DirectoryCheckpointStorage"/> in <paramref name="directory"/> as the
    /// <see cref="ICheckpointStorage"/> service (keyed alike on a keyed store), for stream pipelines (<c>FlowState.S3</c>
    /// adds <c>UseS3Checkpoints</c>).
    /// </summary>
    public FlowStateBuilder UseDirectoryCheckpoints(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Services.TryAddKeyedSingleton<ICheckpointStorage>(Key, (_, _) => new DirectoryCheckpointStorage(directory));
        return this;
    }

    /// <summary>
    /// Reads options from a configuration section (for example <c>FlowState</c> of appsettings.json): <c>Name</c>,
    /// <c>Durability</c> (None, Process, Machine), <c>MaxEntries</c>, <c>MaxBytes</c>, <c>DefaultTimeToLive</c>
    /// (a time span such as <c>00:10:00</c>), and under <c>Runner</c>: <c>RecordProgress</c>, <c>RetainCompletedRuns</c>,
    /// <c>MaxPostConflictRetries</c>, <c>History:MaxCheckpoints</c>, <c>History:MaxAge</c>. Keys not given keep their
    /// defaults. Bound with the configuration binder: a key that is none of these (a typo such as <c>MaxEntrys</c>) or a
    /// value that does not convert is an <see cref="ArgumentException"/> naming the section, the key and the accepted
    /// keys, when the options are first read; in a host that is at startup (<c>ValidateOnStart</c>).
    /// </summary>
    public FlowStateBuilder BindConfiguration(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        Services.AddOptions<StateStoreOptions>(OptionsName)
            .Configure(options =>
            {
                var settings = FlowStateConfiguration.Bind<StoreSettings>(section, "the FlowState store");
                options.Name = settings.Name ?? options.Name;
                options.Durability = settings.Durability ?? options.Durability;
                options.MaxEntries = settings.MaxEntries ?? options.MaxEntries;
                options.MaxBytes = settings.MaxBytes ?? options.MaxBytes;
                options.DefaultTimeToLive = settings.DefaultTimeToLive ?? options.DefaultTimeToLive;
            })
            .ValidateOnStart();
        Services.AddOptions<FlowRunnerOptions>(OptionsName)
            .Configure(options =>
            {
                var runner = FlowStateConfiguration.Bind<StoreSettings>(section, "the FlowState store").Runner;
                if (runner is null)
                {
                    return;
                }

                options.RecordProgress = runner.RecordProgress ?? options.RecordProgress;
                options.RetainCompletedRuns = runner.RetainCompletedRuns ?? options.RetainCompletedRuns;
                options.MaxPostConflictRetries = runner.MaxPostConflictRetries ?? options.MaxPostConflictRetries;
                if (runner.History is { } history)
                {
                    options.History = new FlowHistoryOptions { MaxCheckpoints = history.MaxCheckpoints, MaxAge = history.MaxAge };
                }
            })
            .ValidateOnStart();
        return this;
    }
}

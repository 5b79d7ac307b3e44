using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlowState;

/// <summary>
/// Per-run flow state. Each run's state lives under <c>workflow:{runId}:</c>, one key per top-level field, so it is
/// shallow by construction: <see cref="MergeStateAsync"/> replaces the fields it names whole, and steps keep their
/// private state under <c>workflow:{runId}:step:{name}:</c>.
/// </summary>
public sealed class FlowStateStorage
{
    private static readonly ConditionalWeakTable<StateStore, RunCounter> Counters = new();

    private readonly StateStore _store;
    private readonly RunCounter _counter;

    /// <summary>Keeps run state in <paramref name="store"/>.</summary>
    public FlowStateStorage(StateStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _counter = Counters.GetValue(store, static _ => new RunCounter());
    }

    /// <summary>The store that holds the runs.</summary>
    public StateStore Store => _store;

    /// <summary>A new run id <c>{prefix}_{N}</c>, unique within the store (ids of runs that still have state are skipped).</summary>
    /// <exception cref="ArgumentException">The prefix is empty or not a valid scope name.</exception>
    public string NewRunId(string prefix = "run")
    {
        StateNameValidator.ValidateScopeName(prefix, nameof(prefix));
        while (true)
        {
            var id = $"{prefix}_{_counter.Next()}";
            if (_store.FindNode(StateScope.Workflow(id)) is null)
            {
                return id;
            }
        }
    }

    /// <summary>The store of a run's state (<c>workflow:{runId}:</c>).</summary>
    public IStateStore Run(string runId) => _store.For(StateScope.Workflow(runId));

    /// <summary>The private store of one step of a run (<c>workflow:{runId}:step:{stepName}:</c>).</summary>
    public IStateStore Step(string runId, string stepName) => _store.For(StateScope.Step(runId, stepName));

    /// <summary>The whole state of a run as a JSON object; <c>{}</c> for an unknown run. Step state is not included.</summary>
    public ValueTask<JsonObject> GetStateAsync(string runId, CancellationToken cancellationToken = default) => ReadStateAsync(Run(runId), cancellationToken);

    /// <summary>The fields of the run scope <paramref name="run"/> as one object.</summary>
    internal static async ValueTask<JsonObject> ReadStateAsync(IStateStore run, CancellationToken cancellationToken)
    {
        var state = new JsonObject();
        await foreach (var key in run.ListKeysAsync(null, cancellationToken).ConfigureAwait(false))
        {
            var entry = await run.GetEntryAsync(key, cancellationToken).ConfigureAwait(false);
            if (entry is not null)
            {
                state[key] = JsonNode.Parse(entry.Value.Span);
            }
        }

        return state;
    }

    /// <summary>The whole state of a run deserialized to <typeparamref name="T"/>.</summary>
    /// <exception cref="StateTypeException">The state does not deserialize to <typeparamref name="T"/>.</exception>
    public async ValueTask<T?> GetStateAsync<T>(string runId, CancellationToken cancellationToken = default)
    {
        var state = await GetStateAsync(runId, cancellationToken).ConfigureAwait(false);
        try
        {
            return state.Deserialize<T>(_store.SerializerOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            throw new StateTypeException($"The state of run '{runId}' does not deserialize to {typeof(T).Name}: {ex.Message}", ex);
        }
    }

    /// <summary>Replaces the whole state of a run atomically (fields not in <paramref name="state"/> are removed).</summary>
    /// <exception cref="ArgumentException"><paramref name="state"/> is not a JSON object or a field name is not a valid key.</exception>
    public async ValueTask<long> UpdateStateAsync<TState>(string runId, TState state, CancellationToken cancellationToken = default)
    {
        var fields = ToFields(state, _store.SerializerOptions, nameof(state));
        var scope = StateScope.Workflow(runId);
        var values = fields.ToDictionary(f => f.Key, f => JsonSerializer.SerializeToUtf8Bytes(f.Value), StringComparer.Ordinal);
        var result = await _store.ReplaceScopeKeysAsync(scope, values, cancellationToken).ConfigureAwait(false);
        return result.Version;
    }

    /// <summary>Sets the fields of <paramref name="updates"/> atomically, each replaced whole; other fields stay.</summary>
    /// <exception cref="ArgumentException"><paramref name="updates"/> is not a JSON object or a field name is not a valid key.</exception>
    public ValueTask<long> MergeStateAsync<TUpdates>(string runId, TUpdates updates, CancellationToken cancellationToken = default)
    {
        var fields = ToFields(updates, _store.SerializerOptions, nameof(updates));
        var run = Run(runId);
        var batch = run.CreateBatch();
        AddFields(batch, fields);
        return run.ApplyAsync(batch, cancellationToken);
    }

    /// <summary>Deletes all state of a run, its steps' included.</summary>
    /// <returns>The number of keys deleted.</returns>
    public ValueTask<long> CleanupAsync(string runId, CancellationToken cancellationToken = default) => Run(runId).ClearAsync(cancellationToken);

    internal static void AddFields(StateBatch batch, Dictionary<string, JsonElement> fields)
    {
        foreach (var (name, value) in fields)
        {
            batch.Set(name, value);
        }
    }

    internal static Dictionary<string, JsonElement> ToFields<TState>(TState state, JsonSerializerOptions serializerOptions, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(state, parameterName);
        var element = JsonSerializer.SerializeToElement(state, JsonValueCodec.Deep(serializerOptions));
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"Run state must be a JSON object (got {element.ValueKind}).", parameterName);
        }

        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            StateNameValidator.ValidateKey(property.Name, parameterName);
            if (!fields.TryAdd(property.Name, property.Value))
            {
                throw new ArgumentException($"Run state has the field '{property.Name}' twice.", parameterName);
            }
        }

        return fields;
    }

    private sealed class RunCounter
    {
        private long _last;

        public long Next() => Interlocked.Increment(ref _last);
    }
}

using System.Text.Json;

namespace FlowState;

/// <summary>
/// The writes of a transaction (a <see cref="StateTransaction"/>, or one flow step's post), held back so that they
/// commit as one batch. Every view of the transaction (any scope) stages into the same instance. Not thread-safe: a
/// transaction runs on one logical thread.
/// </summary>
internal sealed class StagedWrites(IStateStoreRoot store)
{
    // Made on first use: most posts of a hot flow write little or nothing.
    private Dictionary<(StateScope Scope, string Key), StagedWrite>? _writes;
    private List<StagedWrite>? _order;
    private List<(StateScope Scope, string Key, long Version)>? _checks;

    public IStateStoreRoot Store { get; } = store;

    /// <summary>
    /// True for a flow step's post: its lists and clears leave out runtime scopes (the run's progress records). A
    /// <see cref="StateTransaction"/> sees what the store sees.
    /// </summary>
    public bool HidesRuntimeScopes { get; init; }

    /// <summary>
    /// For a flow step's post: the combining function of a key whose sets add to its value instead of replacing it
    /// (the run's reducers), or null. Takes the current value (null: absent) and the value set; returns the value to stage.
    /// </summary>
    public Func<StateScope, string, Func<ReadOnlyMemory<byte>?, byte[], byte[]>?>? ReducerOf { get; init; }

    public JsonSerializerOptions SerializerOptions => Store.SerializerOptions;

    public int Count => (_order?.Count ?? 0) + (_checks?.Count ?? 0);

    /// <summary>True when a write depends on a version read in the step (so a conflict means: run post again on fresh state).</summary>
    public bool HasReadChecks => _checks?.Count > 0 || _order?.Exists(w => w.ReadVersion is not null || w.Options?.ExpectedVersion is not null) == true;

    public StagedWrite? Find(StateScope scope, string key) => _writes?.GetValueOrDefault((scope, key));

    public IEnumerable<StagedWrite> InSubtree(StateScope scope) => _order?.Where(w => scope.Contains(w.Scope)) ?? [];

    /// <summary>Every staged write, in the order first staged.</summary>
    public IReadOnlyList<StagedWrite> InOrder => (IReadOnlyList<StagedWrite>?)_order ?? [];

    private bool _sealed;

    /// <summary>Refuses further writes (the transaction is committing or committed).</summary>
    public void Seal() => _sealed = true;

    public void Unseal() => _sealed = false;

    public void Stage(StateScope scope, string key, byte[]? value, StateWriteOptions? options, long? readVersion)
    {
        ThrowIfSealed();
        _writes ??= [];
        if (!_writes.TryGetValue((scope, key), out var write))
        {
            write = new StagedWrite(scope, key) { ReadVersion = readVersion };
            _writes[(scope, key)] = write;
            (_order ??= []).Add(write);
        }

        write.Value = value;
        write.Options = options;
    }

    public void Check(StateScope scope, string key, long version)
    {
        ThrowIfSealed();
        (_checks ??= []).Add((scope, key, version));
    }

    private void ThrowIfSealed()
    {
        if (_sealed)
        {
            throw new InvalidOperationException("This transaction was committed; its stores cannot write any more. Begin a new transaction.");
        }
    }

    /// <summary>Adds the staged writes to <paramref name="batch"/> (a batch of the global scope).</summary>
    public void AddTo(StateBatch batch)
    {
        foreach (var (scope, key, version) in _checks ?? [])
        {
            batch.Within(scope).RequireVersion(key, version);
        }

        foreach (var write in _order ?? [])
        {
            var target = batch.Within(write.Scope);
            var options = write.Options;
            if (write.ReadVersion is { } readVersion && options?.ExpectedVersion is null)
            {
                options = (options ?? StateWriteOptions.None) with { ExpectedVersion = readVersion };
            }

            if (write.Value is null)
            {
                target.Delete(write.Key, options?.ExpectedVersion);
            }
            else
            {
                target.SetRaw(write.Key, write.Value, options);
            }
        }
    }
}

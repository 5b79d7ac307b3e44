using System.Text.Json;

namespace FlowState;

/// <summary>
/// What the flow runtime and staged writes need of a store: views of any scope, atomic batches from the global scope,
/// its serializer and clock. <see cref="StateStore"/> and <see cref="SharedStateStore"/> both are one, so flows run on
/// state of one process and on state shared through a server alike.
/// </summary>
internal interface IStateStoreRoot
{
    JsonSerializerOptions SerializerOptions { get; }

    JsonSerializerOptions DeepSerializerOptions { get; }

    TimeProvider Time { get; }

    /// <summary>Where flows on this store record their metrics.</summary>
    FlowStateInstruments Instruments { get; }

    /// <summary>True when the state outlives the process (a backend or a server).</summary>
    bool HasBackend { get; }

    /// <summary>The largest value, in bytes of JSON, that may be stored in <paramref name="scope"/>.</summary>
    long MaxValueBytes(StateScope scope);

    IStateStore For(StateScope scope);

    /// <summary>
    /// The entry of <paramref name="key"/> in <paramref name="scope"/> as the store holds it, read by the runtime itself
    /// (a watched step's old values): no view of the scope is made for it and no decorator sees it.
    /// </summary>
    ValueTask<StateEntry?> ReadEntryAsync(StateScope scope, string key, CancellationToken cancellationToken);

    /// <summary>Applies <paramref name="batch"/>, whose operations are relative to the global scope.</summary>
    ValueTask<long> ApplyGlobalAsync(StateBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// Applies <paramref name="batch"/> like <see cref="ApplyGlobalAsync"/>, returning once it is in memory: its
    /// backend write happens behind, in order with every other commit (a later durable commit waits for it).
    /// </summary>
    ValueTask<long> ApplyGlobalBehindAsync(StateBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// A note of changes kept from the backend until <see cref="FlushDeferredAsync"/>, or null when this store cannot
    /// defer them: no backend, a bound that pages values out (a value only memory has cannot be paged out), or a
    /// shared store (every commit is the server's).
    /// </summary>
    DeferredWrites? NewDeferredWrites();

    /// <summary>Applies <paramref name="batch"/> in memory; its changes reach the backend only with <see cref="FlushDeferredAsync"/>.</summary>
    ValueTask<long> ApplyGlobalDeferredAsync(StateBatch batch, DeferredWrites deferred, CancellationToken cancellationToken);

    /// <summary>Writes the current state of every key <paramref name="deferred"/> noted, in one batch; returns once durable.</summary>
    ValueTask FlushDeferredAsync(DeferredWrites deferred, CancellationToken cancellationToken);
}

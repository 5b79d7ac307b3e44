using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace FlowState;

/// <summary>
/// One stored entry: the value as UTF-8 JSON, its version and its expiry. Entries are immutable snapshots:
/// a later write creates a new entry and never changes this one's value or version.
/// </summary>
public sealed class StateEntry
{
    // Null while the entry is paged out (a bounded store with a backend keeps the value only in the backend); such an
    // entry stays inside the engine and is filled in again, under the write lock, before anyone is handed it.
    private byte[]? _utf8Json;
    private const int SlidingFlag = 1;
    private const int RenewalPendingFlag = 2;
    private long _expiresAtTicks;
    private long _accessStamp;

    // Sliding (set once) and renewal pending (changed atomically) share one field: the entry is per key, so a field
    // less is a million fewer words in a store of a million keys (the key's UTF-8 length is not kept for the same reason).
    private int _flags;

    // The engine's node (an IStateEntryOwner) for an entry in a store's tree; the bare StateScope for an entry that belongs to no tree (a
    // staged write, a shared store's read): one field either way, so engine entries grow by nothing and those views
    // build no throwaway node (a node's dictionary and counters cost 0.9–2.3 KB per read).
    private readonly object _owner;

    internal StateEntry(IStateEntryOwner node, string key, int keyBytes, byte[] utf8Json, long version, long expiresAtTicks, long timeToLiveTicks, bool sliding)
        : this((object)node, key, keyBytes, utf8Json, version, expiresAtTicks, timeToLiveTicks, sliding)
    {
    }

    /// <summary>An entry outside any store's tree (staged writes, shared stores).</summary>
    internal StateEntry(StateScope scope, string key, int keyBytes, byte[] utf8Json, long version, long expiresAtTicks, long timeToLiveTicks, bool sliding)
        : this((object)scope, key, keyBytes, utf8Json, version, expiresAtTicks, timeToLiveTicks, sliding)
    {
    }

    private StateEntry(object owner, string key, int keyBytes, byte[] utf8Json, long version, long expiresAtTicks, long timeToLiveTicks, bool sliding)
    {
        _owner = owner;
        Key = key;
        _utf8Json = utf8Json;
        Version = version;
        _expiresAtTicks = expiresAtTicks;
        TimeToLiveTicks = timeToLiveTicks;
        _flags = sliding ? SlidingFlag : 0;
        Size = utf8Json.Length + keyBytes;
    }

    // A copy in another node (or the same one): same key, version, expiry and size; the value given (null: paged out).
    private StateEntry(StateEntry resident, IStateEntryOwner node, byte[]? utf8Json)
    {
        _owner = node;
        _utf8Json = utf8Json;
        Key = resident.Key;
        Version = resident.Version;
        _expiresAtTicks = resident.ExpiresAtTicks;
        TimeToLiveTicks = resident.TimeToLiveTicks;
        _flags = resident.Sliding ? SlidingFlag : 0;
        Size = resident.Size;
    }

    /// <summary>The key, relative to the entry's scope.</summary>
    public string Key { get; }

    /// <summary>The scope the entry lives in.</summary>
    public StateScope Scope => _owner is IStateEntryOwner node ? node.Scope : (StateScope)_owner;

    /// <summary>The value as UTF-8 JSON. Read-only: stored state never changes through it.</summary>
    public ReadOnlyMemory<byte> Value => _utf8Json;

    /// <summary>The entry's version; every write of any key gets a higher one than all before it.</summary>
    public long Version { get; }

    /// <summary>When the entry expires, or null when it does not.</summary>
    public DateTimeOffset? ExpiresAt
    {
        get
        {
            var ticks = Volatile.Read(ref _expiresAtTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>The stored bytes: key (UTF-8) plus value.</summary>
    public int Size { get; }

    /// <summary>The engine's node of the entry's scope; null for an entry of no store's tree.</summary>
    internal IStateEntryOwner? Owner => _owner as IStateEntryOwner;

    internal byte[] Utf8Json => Volatile.Read(ref _utf8Json)
        ?? throw new InvalidOperationException($"The value of key '{Key}' (version {Version}) is paged out; the engine reads it back before handing the entry out.");

    /// <summary>The value when it is in memory, null while it is paged out.</summary>
    internal byte[]? ResidentUtf8Json => Volatile.Read(ref _utf8Json);

    internal bool IsResident => Volatile.Read(ref _utf8Json) is not null;

    /// <summary>The time to live the entry was written with (0: none); later writes without one reuse it.</summary>
    internal long TimeToLiveTicks { get; }

    internal bool Sliding => (_flags & SlidingFlag) != 0;

    internal long ExpiresAtTicks => Volatile.Read(ref _expiresAtTicks);

    internal long AccessStamp
    {
        get => Volatile.Read(ref _accessStamp);
        set => Volatile.Write(ref _accessStamp, value);
    }

    /// <summary>Parses the value into a <see cref="JsonElement"/> that owns its own copy.</summary>
    public JsonElement ToJsonElement()
    {
        using var document = JsonDocument.Parse(Utf8Json);
        return document.RootElement.Clone();
    }

    /// <summary>Deserializes the value.</summary>
    /// <exception cref="StateTypeException">The value does not deserialize to <typeparamref name="T"/>.</exception>
    public T? Deserialize<T>(JsonSerializerOptions? options = null) => JsonValueCodec.Deserialize<T>(Utf8Json, Scope, Key, options ?? JsonSerializerOptions.Default);

    /// <summary>Deserializes the value with source-generated metadata.</summary>
    /// <exception cref="StateTypeException">The value does not deserialize to <typeparamref name="T"/>.</exception>
    public T? Deserialize<T>(JsonTypeInfo<T> typeInfo) => JsonValueCodec.Deserialize(Utf8Json, Scope, Key, typeInfo);

    /// <summary>The value as JSON text.</summary>
    public override string ToString() => System.Text.Encoding.UTF8.GetString(Utf8Json);

    internal bool IsExpired(long nowTicks)
    {
        var expires = Volatile.Read(ref _expiresAtTicks);
        return expires != 0 && expires <= nowTicks;
    }

    internal void Slide(long nowTicks) => Volatile.Write(ref _expiresAtTicks, nowTicks + TimeToLiveTicks);

    /// <summary>Whether a read renewed this sliding entry since its deadline was last saved to the backend.</summary>
    internal bool RenewalPending => (Volatile.Read(ref _flags) & RenewalPendingFlag) != 0;

    // Both sides change the flag atomically (a full fence): a read that moved the deadline and found the flag still set is sure
    // the save that clears it reads the deadline afterwards; one that finds it cleared queues the entry again.

    /// <summary>Marks a renewal to save, after <see cref="Slide"/>; true for the first since the last save (only that one queues the entry).</summary>
    internal bool MarkRenewalPending() => (Interlocked.Or(ref _flags, RenewalPendingFlag) & RenewalPendingFlag) == 0;

    /// <summary>Clears the mark before the deadline is read for saving.</summary>
    internal void ClearRenewalPending() => Interlocked.And(ref _flags, ~RenewalPendingFlag);

    /// <summary>A copy without the value, to replace this entry in the engine (this one may be held by readers and stays whole).</summary>
    internal StateEntry PagedOut() => new(this, Owner ?? throw new InvalidOperationException($"The entry of key '{Key}' belongs to no store's tree; only those are paged out."), null);

    /// <summary>A copy in <paramref name="node"/> (the scope's node after its old one left the tree), resident or not as this one is.</summary>
    internal StateEntry MovedTo(IStateEntryOwner node) => new(this, node, ResidentUtf8Json);

    /// <summary>Fills a paged-out entry with its value read back from the backend (under the write lock).</summary>
    internal void PageIn(byte[] utf8Json) => Volatile.Write(ref _utf8Json, utf8Json);
}

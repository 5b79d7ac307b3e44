using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace FlowState;

/// <summary>
/// Sets, merges, deletes and version checks that commit atomically with
/// <see cref="IStateStore.ApplyAsync"/>: all or none, visible to readers all at once. Values are serialized
/// when added, so changing an object afterwards does not change the batch.
/// </summary>
/// <remarks>A batch is not thread-safe; build it on one thread.</remarks>
public sealed class StateBatch
{
    private static readonly (ScopeSegmentKind Kind, string Name)[] Here = [];

    private readonly List<StateBatchOperation> _operations;
    private readonly (ScopeSegmentKind Kind, string Name)[] _relativeScope;

    /// <summary>Creates an empty batch that serializes values with <paramref name="serializerOptions"/>.</summary>
    public StateBatch(JsonSerializerOptions? serializerOptions = null)
    {
        SerializerOptions = serializerOptions ?? JsonSerializerOptions.Default;
        _operations = [];
        _relativeScope = Here;
    }

    private StateBatch(StateBatch parent, ScopeSegmentKind kind, string name)
        : this(parent, [.. parent._relativeScope, (kind, name)])
    {
    }

    private StateBatch(StateBatch parent, (ScopeSegmentKind Kind, string Name)[] relativeScope)
    {
        SerializerOptions = parent.SerializerOptions;
        _operations = parent._operations;
        _relativeScope = relativeScope;
    }

    /// <summary>The options values are serialized with.</summary>
    public JsonSerializerOptions SerializerOptions { get; }

    /// <summary>Number of operations in the whole batch.</summary>
    public int Count => _operations.Count;

    internal IReadOnlyList<StateBatchOperation> Operations => _operations;

    /// <summary>A view of this batch whose keys land in the child scope <paramref name="name"/>.</summary>
    public StateBatch Scope(string name)
    {
        StateNameValidator.ValidateScopeName(name, nameof(name));
        return new StateBatch(this, ScopeSegmentKind.Named, name);
    }

    /// <summary>A view of this batch whose keys land in <paramref name="scope"/>, relative to the batch's scope.</summary>
    internal StateBatch Within(StateScope scope)
    {
        var segments = new List<(ScopeSegmentKind, string)>();
        for (var s = scope; !s.IsGlobal; s = s.Parent!)
        {
            segments.Add((s.Kind, s.Name));
        }

        segments.Reverse();
        return new StateBatch(this, [.. _relativeScope, .. segments]);
    }

    /// <summary>A view of this batch whose keys land in the step scope <paramref name="stepName"/> (inside a workflow scope).</summary>
    public StateBatch Step(string stepName)
    {
        StateNameValidator.ValidateScopeName(stepName, nameof(stepName));
        return new StateBatch(this, ScopeSegmentKind.Step, stepName);
    }

    /// <summary>Adds a set.</summary>
    /// <exception cref="ArgumentException">The key is invalid.</exception>
    /// <exception cref="StateValueException">The value does not serialize to JSON.</exception>
    public StateBatch Set<T>(string key, T value, StateWriteOptions? options = null)
    {
        StateNameValidator.ValidateKey(key);
        return Add(StateOperationKind.Set, key, JsonValueCodec.Serialize(value, SerializerOptions, key), options);
    }

    /// <summary>Adds a set using source-generated metadata.</summary>
    public StateBatch Set<T>(string key, T value, JsonTypeInfo<T> typeInfo, StateWriteOptions? options = null)
    {
        StateNameValidator.ValidateKey(key);
        return Add(StateOperationKind.Set, key, JsonValueCodec.Serialize(value, typeInfo, key), options);
    }

    /// <summary>Adds a set of a raw UTF-8 JSON value (validated when the batch is applied).</summary>
    public StateBatch SetRaw(string key, ReadOnlySpan<byte> utf8Json, StateWriteOptions? options = null)
    {
        StateNameValidator.ValidateKey(key);
        return Add(StateOperationKind.Set, key, utf8Json.ToArray(), options);
    }

    /// <summary>Adds a JSON merge patch (RFC 7386).</summary>
    public StateBatch Merge<TPatch>(string key, TPatch patch, StateWriteOptions? options = null)
    {
        StateNameValidator.ValidateKey(key);
        return Add(StateOperationKind.Merge, key, JsonValueCodec.Serialize(patch, SerializerOptions, key), options);
    }

    /// <summary>Adds a delete; with <paramref name="expectedVersion"/> the key must have that version.</summary>
    public StateBatch Delete(string key, long? expectedVersion = null)
    {
        StateNameValidator.ValidateKey(key);
        return Add(StateOperationKind.Delete, key, null, expectedVersion is null ? null : StateWriteOptions.IfVersion(expectedVersion.Value));
    }

    /// <summary>Adds a check that the key has <paramref name="expectedVersion"/> (0: does not exist); writes nothing.</summary>
    public StateBatch RequireVersion(string key, long expectedVersion)
    {
        StateNameValidator.ValidateKey(key);
        return Add(StateOperationKind.Check, key, null, StateWriteOptions.IfVersion(expectedVersion));
    }

    private StateBatch Add(StateOperationKind kind, string key, byte[]? utf8Json, StateWriteOptions? options)
    {
        _operations.Add(new StateBatchOperation(kind, _relativeScope, key, utf8Json, options));
        return this;
    }
}

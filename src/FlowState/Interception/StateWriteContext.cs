using System.Text.Json;

namespace FlowState;

/// <summary>One write as seen by an <see cref="IStateInterceptor"/>.</summary>
public sealed class StateWriteContext
{
    internal StateWriteContext(StateOperationKind operation, StateScope scope, string? key, ReadOnlyMemory<byte> value, JsonSerializerOptions serializerOptions)
    {
        Operation = operation;
        Scope = scope;
        Key = key;
        Value = value;
        SerializerOptions = serializerOptions;
    }

    /// <summary>Set, merge, delete or clear.</summary>
    public StateOperationKind Operation { get; }

    /// <summary>The scope written to (for a clear: the scope being cleared).</summary>
    public StateScope Scope { get; }

    /// <summary>For a clear: whether it deletes the child scopes' keys too (<see cref="StateClearExtent.Subtree"/>) or only the scope's own; null for other operations.</summary>
    public StateClearExtent? ClearExtent { get; internal init; }

    /// <summary>The key, relative to <see cref="Scope"/>; null for a clear.</summary>
    public string? Key { get; }

    /// <summary>The value (set) or patch (merge) as UTF-8 JSON; empty for delete and clear. Assign to change it.</summary>
    public ReadOnlyMemory<byte> Value { get; set; }

    /// <summary>The store's serializer options.</summary>
    public JsonSerializerOptions SerializerOptions { get; }

    /// <summary>Deserializes <see cref="Value"/>.</summary>
    public T? GetValue<T>() => Value.IsEmpty ? default : JsonSerializer.Deserialize<T>(Value.Span, SerializerOptions);

    /// <summary>Replaces <see cref="Value"/> with the JSON of <paramref name="value"/>.</summary>
    public void SetValue<T>(T value) => Value = JsonSerializer.SerializeToUtf8Bytes(value, SerializerOptions);

    /// <summary>Rejects the operation: the caller gets a <see cref="StateRejectedException"/> with the reason.</summary>
    /// <exception cref="StateRejectedException">Always.</exception>
    public void Reject(string reason) =>
        throw new StateRejectedException($"{Operation} of {(Key is null ? "scope" : $"key '{Key}' in scope")} '{Scope}' was rejected: {reason}");
}

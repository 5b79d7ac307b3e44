namespace FlowState;

/// <summary>One operation of a <see cref="StateBatch"/>; keys are relative to the store the batch is applied to.</summary>
internal sealed class StateBatchOperation(
    StateOperationKind kind,
    (ScopeSegmentKind Kind, string Name)[] relativeScope,
    string key,
    byte[]? utf8Json,
    StateWriteOptions? options)
{
    public StateOperationKind Kind { get; } = kind;

    public (ScopeSegmentKind Kind, string Name)[] RelativeScope { get; } = relativeScope;

    public string Key { get; } = key;

    public byte[]? Utf8Json { get; set; } = utf8Json;

    public StateWriteOptions? Options { get; } = options;
}

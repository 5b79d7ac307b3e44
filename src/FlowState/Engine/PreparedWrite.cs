namespace FlowState;

/// <summary>A write ready for the engine: scope resolved, value serialized, interceptors run.</summary>
internal sealed class PreparedWrite(StateOperationKind kind, StateScope scope, string key, byte[]? utf8Json, StateWriteOptions? options, bool inheritTimeToLive)
{
    public StateOperationKind Kind { get; } = kind;

    public StateScope Scope { get; } = scope;

    public string Key { get; } = key;

    public byte[]? Utf8Json { get; set; } = utf8Json;

    public StateWriteOptions? Options { get; } = options;

    /// <summary>Merges and updates keep the entry's time to live (renewed from now) unless the options give one.</summary>
    public bool InheritTimeToLive { get; } = inheritTimeToLive;
}

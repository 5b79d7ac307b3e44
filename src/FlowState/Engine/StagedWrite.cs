namespace FlowState;

/// <summary>The last staged write of one key in a step: a value (null: deleted) and the options it commits with.</summary>
internal sealed class StagedWrite(StateScope scope, string key)
{
    public StateScope Scope { get; } = scope;

    public string Key { get; } = key;

    /// <summary>The value after the step's writes so far; null when the step deleted the key.</summary>
    public byte[]? Value { get; set; }

    public StateWriteOptions? Options { get; set; }

    /// <summary>
    /// The version the key had when the step first read it to compute a write (merge, update, delete of a read
    /// value); the commit checks it so that a concurrent writer makes the step's post run again instead of being
    /// overwritten. Null when the step wrote the key blind.
    /// </summary>
    public long? ReadVersion { get; set; }
}

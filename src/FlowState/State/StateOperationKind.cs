namespace FlowState;

/// <summary>The kind of a write operation, as seen by interceptors and batches.</summary>
public enum StateOperationKind
{
    /// <summary>Set a key to a value (also the result of an update).</summary>
    Set,

    /// <summary>Apply a JSON merge patch (RFC 7386) to a key.</summary>
    Merge,

    /// <summary>Delete a key.</summary>
    Delete,

    /// <summary>Clear a scope and its child scopes.</summary>
    Clear,

    /// <summary>Require a key to have a version, writing nothing (batches only).</summary>
    Check,
}

namespace FlowState;

/// <summary>What one <see cref="SharedChange"/> does.</summary>
public enum SharedChangeKind
{
    /// <summary>Insert or replace the entry.</summary>
    Upsert,

    /// <summary>Delete the entry (which may not exist).</summary>
    Delete,

    /// <summary>Write nothing; only the expected version is checked.</summary>
    Check,
}

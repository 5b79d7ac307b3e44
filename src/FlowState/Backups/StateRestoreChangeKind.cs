namespace FlowState;

/// <summary>What a restore does to one key.</summary>
public enum StateRestoreChangeKind
{
    /// <summary>The key is in the backup and not in the store: it is written.</summary>
    Added,

    /// <summary>The key has another value or expiry in the backup: the backup's is written.</summary>
    Changed,

    /// <summary>The key is in the store and not in the backup: it is deleted.</summary>
    Removed,
}

namespace FlowState;

/// <summary>What happened to an entry in a <see cref="StateChange"/>.</summary>
public enum StateChangeKind
{
    /// <summary>The key was set (created or replaced) or updated.</summary>
    Set,

    /// <summary>The key was changed by a JSON merge patch.</summary>
    Merged,

    /// <summary>The key was deleted (delete, batch delete or clear).</summary>
    Deleted,

    /// <summary>The entry's time to live ran out.</summary>
    Expired,

    /// <summary>The entry was evicted to keep the store within its capacity.</summary>
    Evicted,
}

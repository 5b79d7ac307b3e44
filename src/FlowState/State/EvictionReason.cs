namespace FlowState;

/// <summary>Why an entry left the store.</summary>
public enum EvictionReason
{
    /// <summary>Its time to live ran out.</summary>
    Expired,

    /// <summary>It was the least recently used entry when the store was over capacity.</summary>
    Capacity,

    /// <summary>It was deleted (delete, batch delete or clear).</summary>
    Deleted,

    /// <summary>A write replaced it with a new value.</summary>
    Replaced,
}

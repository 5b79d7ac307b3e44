namespace FlowState;

/// <summary>What an acknowledged write survives (docs/durability.md has the table per backend).</summary>
public enum Durability
{
    /// <summary>Nothing: the write is in memory only (a backend, if any, is written behind, not awaited).</summary>
    None,

    /// <summary>A crash of this process (kill -9): written to the backend before the write completes, without fsync.</summary>
    Process,

    /// <summary>Power loss or an OS crash: written and fsynced before the write completes.</summary>
    Machine,
}

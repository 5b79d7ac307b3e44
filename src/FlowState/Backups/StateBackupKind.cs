namespace FlowState;

/// <summary>What a catalog backup holds.</summary>
public enum StateBackupKind
{
    /// <summary>Every live entry: restorable on its own.</summary>
    Full,

    /// <summary>The entries changed and the keys deleted since the backup it is based on: restorable with its chain.</summary>
    Incremental,
}

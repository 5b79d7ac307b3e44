namespace FlowState;

/// <summary>Names of store operations as passed to <see cref="StateStoreDecorator"/> hooks, logs and metrics.</summary>
public static class StateOperationNames
{
    /// <summary>GetAsync, TryGetAsync, GetEntryAsync.</summary>
    public const string Get = "get";

    /// <summary>ExistsAsync.</summary>
    public const string Exists = "exists";

    /// <summary>GetHistoryAsync.</summary>
    public const string History = "history";

    /// <summary>CountAsync.</summary>
    public const string Count = "count";

    /// <summary>SetAsync, SetRawAsync.</summary>
    public const string Set = "set";

    /// <summary>DeleteAsync.</summary>
    public const string Delete = "delete";

    /// <summary>MergeAsync.</summary>
    public const string Merge = "merge";

    /// <summary>UpdateAsync.</summary>
    public const string Update = "update";

    /// <summary>ApplyAsync.</summary>
    public const string Apply = "apply";

    /// <summary>ClearAsync.</summary>
    public const string Clear = "clear";
}

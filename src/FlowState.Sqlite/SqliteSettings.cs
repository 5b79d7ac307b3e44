namespace FlowState.Sqlite;

/// <summary>What <c>UseSqlite(section)</c> reads: only these keys are accepted.</summary>
internal sealed class SqliteSettings
{
    public string? Path { get; set; }

    public TimeSpan? BusyTimeout { get; set; }

    public bool? VerifyOnOpen { get; set; }

    public int? FoldThreshold { get; set; }

    public bool? ReadOnly { get; set; }
}

namespace FlowState.RocksDb;

/// <summary>What <c>UseRocksDb(section)</c> reads: only these keys are accepted.</summary>
internal sealed class RocksDbSettings
{
    public string? Path { get; set; }

    public bool? TolerateTornLogTail { get; set; }

    public bool? ReadOnly { get; set; }
}

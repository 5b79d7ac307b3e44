namespace FlowState.Redis;

/// <summary>What <c>UseRedis(section)</c> reads: only these keys are accepted.</summary>
internal sealed class RedisSettings
{
    public string? Configuration { get; set; }

    public string? KeyPrefix { get; set; }

    public int? ScanBatchSize { get; set; }

    public int? ChangeRetention { get; set; }

    public TimeSpan? ReconnectTimeout { get; set; }

    public bool? IncludePreviousValues { get; set; }
}

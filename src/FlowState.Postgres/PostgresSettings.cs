namespace FlowState.Postgres;

/// <summary>What <c>UsePostgres(section)</c> reads: only these keys are accepted.</summary>
internal sealed class PostgresSettings
{
    public string? ConnectionString { get; set; }

    public string? Table { get; set; }

    public bool ReadOnly { get; set; }
}

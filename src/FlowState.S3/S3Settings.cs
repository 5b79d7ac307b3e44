namespace FlowState.S3;

/// <summary>What <c>UseS3Checkpoints(section)</c> reads: only these keys are accepted.</summary>
internal sealed class S3Settings
{
    public string? Bucket { get; set; }

    public string? Prefix { get; set; }

    public string? Region { get; set; }

    public string? Endpoint { get; set; }

    public bool? UseSsl { get; set; }

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    public TimeSpan? ClaimTimeout { get; set; }
}

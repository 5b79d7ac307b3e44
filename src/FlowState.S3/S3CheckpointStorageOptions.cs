using Microsoft.Extensions.Logging;

namespace FlowState.S3;

/// <summary>Where <see cref="S3CheckpointStorage"/> keeps checkpoints (the seed's <c>s3_config</c>).</summary>
public sealed class S3CheckpointStorageOptions
{
    /// <summary>The bucket (it must exist).</summary>
    public string Bucket { get; set; } = string.Empty;

    /// <summary>A key prefix for this pipeline's checkpoints, e.g. <c>checkpoints/word-count/</c>.</summary>
    public string Prefix { get; set; } = string.Empty;

    /// <summary>The AWS region; default <c>us-east-1</c>.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>An S3-compatible endpoint (MinIO, s3rver), e.g. <c>http://127.0.0.1:4568</c>; null for AWS.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Whether to use HTTPS with <see cref="Endpoint"/> (an endpoint's own scheme wins).</summary>
    public bool UseSsl { get; set; } = true;

    /// <summary>Access key; null uses the SDK's default credentials (environment, profile, instance role).</summary>
    public string? AccessKey { get; set; }

    /// <summary>Secret key, with <see cref="AccessKey"/>.</summary>
    public string? SecretKey { get; set; }

    /// <summary>How long a coordinator that is claiming a checkpoint id may take before others treat it as crashed.</summary>
    public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock of claims (their age decides when a crashed claimant is passed over). Default: the system clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the storage logs lost claims, long claim waits, manifests written and deletions; null: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}

using FlowState.Conformance;
using Xunit;

namespace FlowState.S3.Tests;

/// <summary>
/// A real S3 API server for the tests: s3rver (npm) started by <c>scripts/start-s3rver.sh</c> on 127.0.0.1 and a free
/// port, with the bucket <c>flowstate</c>, stopped by PID at the end.
/// </summary>
public sealed class S3rverServer : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"flowstate-s3tests-{Guid.NewGuid():N}");

    public string Endpoint { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        Endpoint = $"http://127.0.0.1:{await TestServerScripts.StartAsync("start-s3rver.sh", _directory)}";
    }

    public async Task DisposeAsync()
    {
        await TestServerScripts.RunAsync("stop-s3rver.sh", _directory);
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Options for checkpoints under <paramref name="prefix"/> of the bucket.</summary>
    public S3CheckpointStorageOptions Options(string prefix) => new()
    {
        Bucket = "flowstate",
        Prefix = prefix,
        Endpoint = Endpoint,
        AccessKey = "S3RVER",
        SecretKey = "S3RVER",
    };

    /// <summary>An S3 client of the server (path-style addressing, plain bodies), as an app would register one.</summary>
    public Amazon.S3.AmazonS3Client CreateClient() => new(
        new Amazon.Runtime.BasicAWSCredentials("S3RVER", "S3RVER"),
        new Amazon.S3.AmazonS3Config
        {
            ServiceURL = Endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = Amazon.Runtime.ResponseChecksumValidation.WHEN_REQUIRED,
        });
}

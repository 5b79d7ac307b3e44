using FlowState.Streaming;

namespace FlowState.S3;

/// <summary>Adds S3 checkpoint storage to a <see cref="StreamComponentCatalog"/>.</summary>
public static class S3StreamComponentCatalogExtensions
{
    /// <summary>
    /// <c>state.backend_type: S3</c>: checkpoints in S3 (<see cref="S3CheckpointStorage"/>), keyed state in memory, set up
    /// under <c>state.s3_config</c> with <c>bucket</c> (required), <c>region</c>, <c>prefix</c> (default
    /// <c>flowstate/{pipeline}/</c>), <c>endpoint</c>, <c>use_ssl</c>. Credentials come from the AWS SDK's usual places
    /// (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, a role).
    /// </summary>
    public static StreamComponentCatalog AddS3CheckpointStorage(this StreamComponentCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.AddCheckpointStorage("S3", "s3_config", ["bucket", "region", "prefix", "endpoint", "use_ssl"], (settings, pipeline) =>
        {
            var options = new S3CheckpointStorageOptions
            {
                Bucket = settings.Text("bucket") ?? throw settings.Error("backend_type S3 needs s3_config with at least 'bucket'"),
                Region = settings.Text("region") ?? "us-east-1",
                Prefix = settings.Text("prefix") ?? $"flowstate/{pipeline}/",
                Endpoint = settings.Text("endpoint"),
                UseSsl = settings.Flag("use_ssl") ?? true,
            };
            return () => new S3CheckpointStorage(options);
        });
    }
}

using Xunit;

namespace FlowState.S3.Tests;

/// <summary>Every S3 test class shares one s3rver.</summary>
[CollectionDefinition(Name)]
public sealed class SharedS3rverServer : ICollectionFixture<S3rverServer>
{
    public const string Name = "s3rver";
}

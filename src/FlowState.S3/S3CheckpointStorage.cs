using System.Globalization;
using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using FlowState.Checkpoints;
using FlowState.Streaming;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlowState.S3;

/// <summary>
/// Checkpoints in an S3 bucket: <c>{prefix}data/{dataKey}/{file}</c> and <c>{prefix}manifests/{id}.json</c>. A PUT is
/// atomic and durable once acknowledged, so files need no rename. Two coordinators never both complete one id: before
/// writing a manifest a coordinator claims the id with a doorway-and-ticket protocol over strongly consistent listings
/// (<c>choosing/{id}/</c>, then <c>claims/{id}/</c>; the lowest claim wins once nobody is choosing), which works on every
/// S3 API server, and writes the manifest with <c>If-None-Match: *</c>, which servers that support conditional writes
/// (AWS S3, MinIO) enforce as well.
/// </summary>
public sealed class S3CheckpointStorage : ICheckpointStorage, IDisposable
{
    private readonly IAmazonS3 _client;
    private readonly bool _ownsClient;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly TimeSpan _claimTimeout;
    private readonly bool _chunkEncoding;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates a client from <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">No bucket is named.</exception>
    public S3CheckpointStorage(S3CheckpointStorageOptions options)
        : this(CreateClient(options ?? throw new ArgumentNullException(nameof(options))), options, ownsClient: true)
    {
    }

    /// <summary>Uses <paramref name="client"/> (not disposed by the storage).</summary>
    public S3CheckpointStorage(IAmazonS3 client, S3CheckpointStorageOptions options)
        : this(client, options, ownsClient: false)
    {
    }

    private S3CheckpointStorage(IAmazonS3 client, S3CheckpointStorageOptions options, bool ownsClient)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Bucket, nameof(options.Bucket));
        _client = client;
        _ownsClient = ownsClient;
        _bucket = options.Bucket;
        _prefix = CheckPrefix(options.Prefix);
        _claimTimeout = options.ClaimTimeout;
        _time = options.TimeProvider;
        _logger = options.LoggerFactory?.CreateLogger<S3CheckpointStorage>() ?? (ILogger)NullLogger.Instance;
        // aws-chunked bodies only for AWS itself: S3-compatible servers (an endpoint of their own) do not all read them.
        _chunkEncoding = options.Endpoint is null && string.IsNullOrEmpty(client.Config?.ServiceURL);
    }

    /// <inheritdoc />
    public string Description => $"s3://{_bucket}/{_prefix}";

    // Segments of '.' or '..', empty segments, a leading '/' or a backslash are refused: S3 keys are flat, but servers
    // that keep objects on disk and tools that mirror buckets to folders read them as paths and leave the prefix.
    private static string CheckPrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length == 0)
        {
            return prefix;
        }

        var trimmed = prefix.EndsWith('/') ? prefix[..^1] : prefix;
        foreach (var segment in trimmed.Split('/'))
        {
            if (segment is "" or "." or ".." || segment.Contains('\\', StringComparison.Ordinal) || segment.Any(char.IsControl))
            {
                throw new ArgumentException(
                    $"The S3 prefix '{prefix}' is not valid: each '/'-separated part must be a plain name (no empty part, '.', '..', backslash or control character), e.g. 'checkpoints/word-count/'.",
                    nameof(prefix));
            }
        }

        return trimmed + "/";
    }

    /// <inheritdoc />
    public async Task WriteDataAsync(string dataKey, string fileName, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        await PutAsync(DataKey(dataKey, fileName), content, conditional: false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadDataAsync(string dataKey, string fileName, CancellationToken cancellationToken) =>
        await GetAsync(DataKey(dataKey, fileName), cancellationToken).ConfigureAwait(false)
        ?? throw new CheckpointException($"The checkpoint object 's3://{_bucket}/{DataKey(dataKey, fileName)}' is missing; the checkpoint cannot be restored.");

    /// <inheritdoc />
    public async Task<bool> TryWriteManifestAsync(long checkpointId, ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken)
    {
        if (!await ClaimAsync(checkpointId, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        var written = await PutAsync(ManifestKey(checkpointId), manifest, conditional: true, cancellationToken).ConfigureAwait(false);
        if (written)
        {
            S3Log.ManifestWritten(_logger, Description, checkpointId, manifest.Length);
        }
        else
        {
            S3Log.ClaimLost(_logger, Description, checkpointId);
        }

        return written;
    }

    /// <inheritdoc />
    public Task<byte[]?> ReadManifestAsync(long checkpointId, CancellationToken cancellationToken) => GetAsync(ManifestKey(checkpointId), cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<long>> ListCheckpointIdsAsync(CancellationToken cancellationToken)
    {
        var ids = new List<long>();
        foreach (var key in await ListKeysAsync(_prefix + "manifests/", cancellationToken).ConfigureAwait(false))
        {
            if (ParseId(key[(_prefix.Length + "manifests/".Length)..].Replace(".json", string.Empty, StringComparison.Ordinal)) is { } id)
            {
                ids.Add(id);
            }
        }

        ids.Sort();
        return ids;
    }

    /// <inheritdoc />
    public async Task<long> GetHighestClaimedIdAsync(CancellationToken cancellationToken)
    {
        var manifests = await ListCheckpointIdsAsync(cancellationToken).ConfigureAwait(false);
        var highest = manifests.Count == 0 ? 0 : manifests[^1];
        foreach (var claim in await ListPrefixesAsync(_prefix + "claims/", cancellationToken).ConfigureAwait(false))
        {
            if (ParseId(claim.TrimEnd('/')) is { } id)
            {
                highest = Math.Max(highest, id);
            }
        }

        return highest;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ListDataKeysAsync(CancellationToken cancellationToken) =>
        [.. (await ListPrefixesAsync(_prefix + "data/", cancellationToken).ConfigureAwait(false)).Select(p => p.TrimEnd('/')).Order(StringComparer.Ordinal)];

    /// <inheritdoc />
    public async Task DeleteManifestAsync(long checkpointId, CancellationToken cancellationToken)
    {
        await DeleteAsync([ManifestKey(checkpointId)], cancellationToken).ConfigureAwait(false);
        await DeleteAsync(await ListKeysAsync(ClaimPrefix(checkpointId), cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task DeleteDataAsync(string dataKey, CancellationToken cancellationToken) =>
        await DeleteAsync(await ListKeysAsync(_prefix + "data/" + CheckName(dataKey) + "/", cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    /// <inheritdoc />
    public override string ToString() => Description;

    /// <summary>
    /// Lamport's bakery over S3: announce "choosing", give up if a claim exists, put a claim, wait until nobody else is
    /// choosing (or their announcement is older than the claim timeout: crashed), then win only with the lowest claim.
    /// </summary>
    private async Task<bool> ClaimAsync(long checkpointId, CancellationToken cancellationToken)
    {
        var ticket = $"{_time.GetUtcNow().UtcTicks:D19}-{Guid.NewGuid():N}";
        var choosing = ChoosingPrefix(checkpointId) + ticket;
        await PutAsync(choosing, ReadOnlyMemory<byte>.Empty, conditional: false, cancellationToken).ConfigureAwait(false);
        try
        {
            if ((await ListKeysAsync(ClaimPrefix(checkpointId), cancellationToken).ConfigureAwait(false)).Count > 0)
            {
                S3Log.ClaimLost(_logger, Description, checkpointId);
                return false;
            }

            await PutAsync(ClaimPrefix(checkpointId) + ticket, ReadOnlyMemory<byte>.Empty, conditional: false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await DeleteAsync([choosing], CancellationToken.None).ConfigureAwait(false);
        }

        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var stale = (_time.GetUtcNow() - _claimTimeout).UtcTicks;
            var choosingNow = await ListKeysAsync(ChoosingPrefix(checkpointId), cancellationToken).ConfigureAwait(false);
            if (!choosingNow.Any(key => ParseId(key[ChoosingPrefix(checkpointId).Length..].Split('-')[0]) is { } ticks && ticks > stale))
            {
                break;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        if (waited.Elapsed > TimeSpan.FromSeconds(1))
        {
            S3Log.ClaimWaited(_logger, Description, checkpointId, waited.Elapsed.TotalMilliseconds, _claimTimeout.TotalSeconds);
        }

        var claims = await ListKeysAsync(ClaimPrefix(checkpointId), cancellationToken).ConfigureAwait(false);
        var won = claims.Count > 0 && claims.Min(StringComparer.Ordinal) == ClaimPrefix(checkpointId) + ticket;
        if (!won)
        {
            S3Log.ClaimLost(_logger, Description, checkpointId);
        }

        return won;
    }

    private async Task<bool> PutAsync(string key, ReadOnlyMemory<byte> content, bool conditional, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(content.ToArray(), writable: false);
        var request = new PutObjectRequest { BucketName = _bucket, Key = key, InputStream = body, AutoCloseStream = false, UseChunkEncoding = _chunkEncoding };
        if (conditional)
        {
            request.IfNoneMatch = "*";
        }

        try
        {
            await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception ex) when (conditional && ex.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
        {
            return false;
        }
        catch (AmazonS3Exception ex)
        {
            throw Failed("write", key, ex);
        }
    }

    private async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.GetObjectAsync(_bucket, key, cancellationToken).ConfigureAwait(false);
            using var copy = new MemoryStream();
            await response.ResponseStream.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            return copy.ToArray();
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (AmazonS3Exception ex)
        {
            throw Failed("read", key, ex);
        }
    }

    private async Task<List<string>> ListKeysAsync(string prefix, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix };
        try
        {
            do
            {
                var response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
                keys.AddRange((response.S3Objects ?? []).Select(o => o.Key));
                request.ContinuationToken = response.NextContinuationToken;
            }
            while (request.ContinuationToken is not null);
        }
        catch (AmazonS3Exception ex)
        {
            throw Failed("list", prefix, ex);
        }

        return keys;
    }

    private async Task<List<string>> ListPrefixesAsync(string prefix, CancellationToken cancellationToken)
    {
        var prefixes = new List<string>();
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix, Delimiter = "/" };
        try
        {
            do
            {
                var response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
                prefixes.AddRange((response.CommonPrefixes ?? []).Select(p => p[prefix.Length..]));
                request.ContinuationToken = response.NextContinuationToken;
            }
            while (request.ContinuationToken is not null);
        }
        catch (AmazonS3Exception ex)
        {
            throw Failed("list", prefix, ex);
        }

        return prefixes;
    }

    private async Task DeleteAsync(List<string> keys, CancellationToken cancellationToken)
    {
        foreach (var chunk in keys.Chunk(1000))
        {
            try
            {
                await _client.DeleteObjectsAsync(
                    new DeleteObjectsRequest { BucketName = _bucket, Objects = [.. chunk.Select(k => new KeyVersion { Key = k })] },
                    cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception ex)
            {
                throw Failed("delete", chunk[0], ex);
            }
        }

        if (keys.Count > 0)
        {
            S3Log.Deleted(_logger, Description, keys.Count);
        }
    }

    private CheckpointException Failed(string what, string key, AmazonS3Exception ex) =>
        new($"S3 could not {what} 's3://{_bucket}/{key}': {ex.StatusCode} {ex.ErrorCode} {ex.Message}", ex);

    private string DataKey(string dataKey, string fileName) => $"{_prefix}data/{CheckName(dataKey)}/{CheckName(fileName)}";

    private string ManifestKey(long id) => $"{_prefix}manifests/{id.ToString("D19", CultureInfo.InvariantCulture)}.json";

    private string ClaimPrefix(long id) => $"{_prefix}claims/{id.ToString("D19", CultureInfo.InvariantCulture)}/";

    private string ChoosingPrefix(long id) => $"{_prefix}choosing/{id.ToString("D19", CultureInfo.InvariantCulture)}/";

    private static long? ParseId(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    private static string CheckName(string name) =>
        string.IsNullOrEmpty(name) || name.IndexOfAny(['/', '\\', '\0']) >= 0 || name is "." or ".."
            ? throw new ArgumentException($"'{name}' is not a valid checkpoint file or data key name.", nameof(name))
            : name;

    private static AmazonS3Client CreateClient(S3CheckpointStorageOptions options)
    {
        var config = new AmazonS3Config { RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region) };
        if (options.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.Contains("://", StringComparison.Ordinal) ? endpoint : (options.UseSsl ? "https://" : "http://") + endpoint;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = options.Region;
            // S3-compatible servers do not all read aws-chunked bodies or trailing checksums: send plain bodies.
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        return options.AccessKey is { } accessKey
            ? new AmazonS3Client(new BasicAWSCredentials(accessKey, options.SecretKey), config)
            : new AmazonS3Client(config);
    }
}

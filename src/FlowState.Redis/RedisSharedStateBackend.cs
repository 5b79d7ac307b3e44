using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using StackExchange.Redis;

namespace FlowState.Redis;

/// <summary>
/// Shared state on Redis (<see cref="SharedStateStore"/>'s backend). Every commit is one Lua script that checks each
/// change's expected version, takes a new version and applies the changes — atomically, because Redis runs a script
/// alone. Key layout, for prefix <c>P</c> and a scope whose top-level segment (its first storage-key segment) is
/// <c>T</c>: entry hashes <c>{P|T}:e:{scope}\n{key}</c> (fields value, version, expiry, time to live), a sorted set per
/// scope of its keys <c>{P|T}:i:{scope}</c> (listing without <c>KEYS</c>), a sorted set of the scopes under
/// <c>T</c> <c>{P|T}:s</c>, and a version counter <c>{P|T}:v</c>. The braces make a top-level scope — a workflow run
/// and all its steps — one hash slot, so on Redis Cluster a batch inside one run is one script; a batch spanning
/// top-level scopes needs a single Redis server. Entries with a time to live also get a native Redis expiry. Changes
/// are published on the channel <c>P:changes</c> by the same script.
/// </summary>
/// <remarks>
/// Durability: <see cref="Durability.Process"/> — acknowledged once Redis has applied the script (this process dying
/// loses nothing; a Redis crash loses what its persistence setting has not saved: with <c>appendonly no</c>
/// everything since the last RDB snapshot, with <c>appendfsync everysec</c> up to about a second).
/// <see cref="Durability.Machine"/> needs <c>appendonly yes</c> with <c>appendfsync always</c> (Redis fsyncs its AOF
/// before replying); the backend reads the server's configuration when it opens and refuses Machine-level commits
/// on a server that does not run that way (when <c>CONFIG</c> is disabled it cannot check, and trusts the server).
/// </remarks>
public sealed class RedisSharedStateBackend : ISharedStateBackend
{
    // KEYS: per change its entry and scope index; then per distinct top-level scope its scope set and version counter.
    // With a change stream, two more KEYS: the stream and its change counter (see RedisChangeFeed).
    // ARGV: now, change count, top-level scope count, channel, change retention, previous values (1/0); then per change
    // 10 arguments (see CommitAsync).
    // Ticks exceed a Lua 5.1 number's exact range, so expiries are compared as decimal strings.
    private const string CommitScript = """
        local function le(a, b)
          if #a ~= #b then return #a < #b end
          return a <= b
        end
        local now, n, tags, channel, retention, olds = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), ARGV[6] == '1'
        local function notify(payload)
          if retention > 0 then
            local seq = redis.call('INCR', KEYS[#KEYS])
            redis.pcall('XADD', KEYS[#KEYS - 1], 'MAXLEN', '~', retention, '0-' .. seq, 'c', payload)
            payload = '#' .. seq .. '\n' .. payload
          end
          redis.call('PUBLISH', channel, payload)
        end
        local previous, before = {}, {}
        -- With previous values, the kind line carries the previous version and value length (-1: none), and the value
        -- line starts with the previous value.
        local function header(k, i)
          if not olds then return k end
          return k .. ' ' .. previous[i] .. ' ' .. (before[i] and #before[i] or -1)
        end
        for i = 1, n do
          local a = 6 + (i - 1) * 10
          local f
          if olds then f = redis.call('HMGET', KEYS[2 * i - 1], 'ver', 'exp', 'v') else f = redis.call('HMGET', KEYS[2 * i - 1], 'ver', 'exp') end
          local current = 0
          if f[1] and (f[2] == '0' or not le(f[2], now)) then current = tonumber(f[1]); before[i] = f[3] or nil end
          if ARGV[a + 2] ~= '-1' and tonumber(ARGV[a + 2]) ~= current then return {0, i - 1, current} end
          previous[i] = current
        end
        local version = 0
        for t = 1, tags do
          local v = redis.call('INCR', KEYS[2 * n + 2 * t])
          if v > version then version = v end
        end
        if tags > 1 then
          for t = 1, tags do redis.call('SET', KEYS[2 * n + 2 * t], version) end
        end
        local result = {1, version}
        for i = 1, n do
          local a = 6 + (i - 1) * 10
          local kind, entry, index, scope, key = ARGV[a + 1], KEYS[2 * i - 1], KEYS[2 * i], ARGV[a + 7], ARGV[a + 8]
          local scopes = KEYS[2 * n + 2 * tonumber(ARGV[a + 9]) - 1]
          if kind == 'u' then
            redis.call('HSET', entry, 'v', ARGV[a + 3], 'ver', version, 'exp', ARGV[a + 4], 'ttl', ARGV[a + 5], 'sl', ARGV[a + 6])
            if ARGV[a + 10] == '0' then redis.call('PERSIST', entry) else redis.call('PEXPIRE', entry, ARGV[a + 10]) end
            if redis.call('ZADD', index, 0, key) == 1 and redis.call('ZCARD', index) == 1 then redis.call('ZADD', scopes, 0, scope) end
            notify(version .. '\n' .. header('s', i) .. '\n' .. scope .. '\n' .. key .. '\n' .. (olds and before[i] or '') .. ARGV[a + 3])
          elseif kind == 'd' then
            redis.call('DEL', entry)
            redis.call('ZREM', index, key)
            if redis.call('EXISTS', index) == 0 then redis.call('ZREM', scopes, scope) end
            if previous[i] ~= 0 then notify(version .. '\n' .. header('d', i) .. '\n' .. scope .. '\n' .. key .. '\n' .. (olds and before[i] or '')) end
          end
          result[2 + i] = previous[i]
        end
        return result
        """;

    private readonly RedisSharedStateBackendOptions _options;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _reads;
    private readonly bool _ownsConnection;
    private readonly RedisKey _topLevelScopes;
    private readonly RedisChannel _channel;
    private readonly RedisKey _feedStream;
    private readonly RedisKey _feedSequence;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _registeredTopLevelScopes = new(StringComparer.Ordinal);
    private IConnectionMultiplexer? _connection;
    private bool _machineDurabilityRefused;
    private readonly CancellationTokenSource _feedLost = new();
    private string? _feedLostReason;
    private bool _subscribed;
    private int _retention;

    /// <summary>A backend that connects with <see cref="RedisSharedStateBackendOptions.Configuration"/> when opened, and closes that connection when disposed.</summary>
    /// <exception cref="ArgumentException">The configuration or the key prefix is empty.</exception>
    public RedisSharedStateBackend(RedisSharedStateBackendOptions options)
        : this(options, null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Configuration, "options.Configuration");
    }

    /// <summary>A backend on an existing connection, which it does not close.</summary>
    public RedisSharedStateBackend(IConnectionMultiplexer connection, string keyPrefix = "flowstate")
        : this(connection, new RedisSharedStateBackendOptions { KeyPrefix = keyPrefix })
    {
    }

    /// <summary>A backend on an existing connection, which it does not close, with the given options (<see cref="RedisSharedStateBackendOptions.Configuration"/> unused).</summary>
    public RedisSharedStateBackend(IConnectionMultiplexer connection, RedisSharedStateBackendOptions options)
        : this(options, connection ?? throw new ArgumentNullException(nameof(connection)))
    {
    }

    private RedisSharedStateBackend(RedisSharedStateBackendOptions options, IConnectionMultiplexer? connection)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.KeyPrefix, "options.KeyPrefix");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ScanBatchSize, 1, "options.ScanBatchSize");
        if (options.KeyPrefix.AsSpan().IndexOfAny("{}|\n") >= 0)
        {
            throw new ArgumentException($"The key prefix '{options.KeyPrefix}' must not contain braces, '|' or a line break.", nameof(options));
        }

        _options = options;
        _connection = connection;
        _ownsConnection = connection is null;
        _logger = options.LoggerFactory?.CreateLogger<RedisSharedStateBackend>() ?? (ILogger)NullLogger.Instance;
        _reads = BackendReadRetry.Create(
            ex => ex is RedisConnectionException or RedisTimeoutException,
            (ex, retry, delay) => RedisLog.ReadRetried(_logger, _options.KeyPrefix, ex.Message, retry, delay.TotalMilliseconds));
        _topLevelScopes = $"{options.KeyPrefix}:scopes";
        _channel = RedisChannel.Literal($"{options.KeyPrefix}:changes");
        _feedStream = $"{{{options.KeyPrefix}|}}:feed";
        _feedSequence = $"{{{options.KeyPrefix}|}}:feedseq";
        ArgumentOutOfRangeException.ThrowIfNegative(options.ChangeRetention ?? 0, "options.ChangeRetention");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ReconnectTimeout, TimeSpan.Zero, "options.ReconnectTimeout");
    }

    /// <inheritdoc />
    public string Description => $"redis:{_options.KeyPrefix}";

    /// <inheritdoc />
    public async ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            _connection ??= await ConnectionMultiplexer.ConnectAsync(_options.Configuration).WaitAsync(cancellationToken).ConfigureAwait(false);
            var fsyncs = await FsyncsEveryWriteAsync(_connection).ConfigureAwait(false);
            _machineDurabilityRefused = fsyncs == false;
            _connection.ConnectionFailed += OnConnectionLost;
            _connection.ConnectionRestored += OnConnectionRestored;
            var cluster = _connection.GetServers().Any(server => server.ServerType == ServerType.Cluster);
            if (cluster && _options.ChangeRetention > 0)
            {
                throw new StateBackendException(
                    $"Redis store '{_options.KeyPrefix}' is on Redis Cluster, where its change stream cannot be kept: a commit's keys share one top-level scope's hash slot, and the stream is in another. Leave ChangeRetention unset (or 0) on Cluster; the change feed then ends with an error when its connection drops.");
            }

            _retention = _options.ChangeRetention ?? (cluster ? 0 : 10_000);
            var endpoints = _connection.GetEndPoints();
            RedisLog.Connected(_logger, _options.KeyPrefix, endpoints, fsyncs);
        }
        catch (RedisException ex)
        {
            await DisposeAsync().ConfigureAwait(false);
            throw Failure("connect", ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask<BackendEntry?> GetAsync(string scopeKey, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopeKey);
        ArgumentNullException.ThrowIfNull(key);
        try
        {
            var fields = await _reads.ExecuteAsync(
                static async (read, token) => await read.Backend.Database().HashGetAllAsync(read.Backend.EntryKey(read.ScopeKey, read.Key)).WaitAsync(token).ConfigureAwait(false),
                (Backend: this, ScopeKey: scopeKey, Key: key),
                cancellationToken).ConfigureAwait(false);
            return ToEntry(scopeKey, key, fields);
        }
        catch (RedisException ex)
        {
            throw Failure("read", ex);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<BackendEntry> ScanAsync(string scopeKey, bool includeChildScopes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopeKey);
        var scopes = includeChildScopes ? await SubtreeScopesAsync(scopeKey, cancellationToken).ConfigureAwait(false) : [scopeKey];
        var database = Database();
        foreach (var scope in scopes)
        {
            RedisValue[] keys;
            try
            {
                keys = await database.SortedSetRangeByRankAsync(IndexKey(scope)).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RedisException ex)
            {
                throw Failure("read", ex);
            }

            for (var start = 0; start < keys.Length; start += _options.ScanBatchSize)
            {
                var chunk = keys.AsSpan(start, Math.Min(_options.ScanBatchSize, keys.Length - start)).ToArray();
                HashEntry[][] rows;
                try
                {
                    var batch = database.CreateBatch();
                    var reads = Array.ConvertAll(chunk, k => batch.HashGetAllAsync(EntryKey(scope, k!)));
                    batch.Execute();
                    rows = await Task.WhenAll(reads).WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (RedisException ex)
                {
                    throw Failure("read", ex);
                }

                for (var i = 0; i < chunk.Length; i++)
                {
                    // A key whose entry Redis expired natively is still in the index until a write of the scope removes it.
                    if (ToEntry(scope, chunk[i]!, rows[i]) is { } entry)
                    {
                        yield return entry;
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<SharedCommitResult> CommitAsync(IReadOnlyList<SharedChange> changes, long nowUtcTicks, Durability durability, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (durability == Durability.Machine && _machineDurabilityRefused)
        {
            throw new StateBackendException(
                $"Redis store '{_options.KeyPrefix}': Durability.Machine needs the server to run with 'appendonly yes' and 'appendfsync always' (an fsync before every reply); this server does not. Configure it so, or use Durability.Process.");
        }

        var tags = new List<string>();
        var keys = new RedisKey[changes.Count * 2];
        var arguments = new List<RedisValue>(6 + (changes.Count * 10))
        {
            nowUtcTicks.ToString(CultureInfo.InvariantCulture), changes.Count, 0, _channel.ToString(), _retention, _options.IncludePreviousValues ? 1 : 0,
        };
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            var tag = TopLevel(change.ScopeKey);
            var tagIndex = tags.IndexOf(tag);
            if (tagIndex < 0)
            {
                tags.Add(tag);
                tagIndex = tags.Count - 1;
            }

            keys[2 * i] = EntryKey(change.ScopeKey, change.Key);
            keys[(2 * i) + 1] = IndexKey(change.ScopeKey);
            var remainingMilliseconds = change.ExpiresAtUtcTicks == 0 ? 0 : Math.Max(1, (change.ExpiresAtUtcTicks - nowUtcTicks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
            arguments.Add(change.Kind switch { SharedChangeKind.Upsert => "u", SharedChangeKind.Delete => "d", _ => "c" });
            arguments.Add(change.ExpectedVersion is { } expected ? expected.ToString(CultureInfo.InvariantCulture) : "-1");
            arguments.Add(change.Kind == SharedChangeKind.Upsert ? (RedisValue)(change.Value ?? throw new ArgumentException($"The upsert of '{change.Key}' has no value.", nameof(changes))) : RedisValue.EmptyString);
            arguments.Add(change.ExpiresAtUtcTicks.ToString(CultureInfo.InvariantCulture));
            arguments.Add(change.TimeToLiveTicks.ToString(CultureInfo.InvariantCulture));
            arguments.Add(change.Sliding ? "1" : "0");
            arguments.Add(change.ScopeKey);
            arguments.Add(change.Key);
            arguments.Add(tagIndex + 1);
            arguments.Add(remainingMilliseconds);
        }

        arguments[2] = tags.Count;
        var allKeys = new RedisKey[keys.Length + (tags.Count * 2) + (_retention > 0 ? 2 : 0)];
        keys.CopyTo(allKeys, 0);
        for (var t = 0; t < tags.Count; t++)
        {
            allKeys[keys.Length + (2 * t)] = ScopeSetKey(tags[t]);
            allKeys[keys.Length + (2 * t) + 1] = $"{{{_options.KeyPrefix}|{tags[t]}}}:v";
        }

        if (_retention > 0)
        {
            allKeys[^2] = _feedStream;
            allKeys[^1] = _feedSequence;
        }

        try
        {
            var database = Database();
            // The set of top-level scopes only grows, so each process registers a top-level scope once.
            var unregistered = tags.Where(t => !_registeredTopLevelScopes.ContainsKey(t)).Select(t => new SortedSetEntry(t, 0)).ToArray();
            var register = unregistered.Length == 0 ? Task.FromResult(0L) : database.SortedSetAddAsync(_topLevelScopes, unregistered);
            var reply = (RedisResult[])(await database.ScriptEvaluateAsync(CommitScript, allKeys, [.. arguments]).WaitAsync(cancellationToken).ConfigureAwait(false))!;
            await register.ConfigureAwait(false);
            foreach (var entry in unregistered)
            {
                _registeredTopLevelScopes.TryAdd((string)entry.Element!, true);
            }

            if ((long)reply[0] == 0)
            {
                return SharedCommitResult.Conflict((int)(long)reply[1], (long)reply[2]);
            }

            var previous = new long[changes.Count];
            for (var i = 0; i < previous.Length; i++)
            {
                previous[i] = (long)reply[2 + i];
            }

            return SharedCommitResult.Success((long)reply[1], previous);
        }
        catch (RedisCommandException ex) when (tags.Count > 1 && Connection().GetServers().Any(server => server.ServerType == ServerType.Cluster))
        {
            // Redis Cluster: a script's keys must share one hash slot, and each top-level scope is a slot of its own.
            // StackExchange.Redis refuses such a command before sending it.
            throw new StateBackendException(
                $"Redis store '{_options.KeyPrefix}' cannot commit this change atomically on Redis Cluster: it spans {tags.Count} top-level scopes ({string.Join(", ", tags.Select(t => t.Length == 0 ? "the global scope" : $"'{t}'"))}), which live in different hash slots. Keep each commit (a batch, a flow step with its posts) within one top-level scope — a workflow run and its steps — or use a single Redis server. Nothing was written.",
                ex);
        }
        catch (RedisException ex)
        {
            throw Failure("write", ex);
        }
        catch (RedisCommandException ex)
        {
            // The client refused the command before sending it (RedisCommandException is no RedisException).
            throw Failure("write", ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask<IAsyncEnumerable<SharedChangeNotice>> SubscribeAsync(CancellationToken cancellationToken)
    {
        var connection = Connection();
        if (_retention > 0)
        {
            try
            {
                return await new RedisChangeFeed(connection, _channel, _feedStream, _feedSequence, _options.KeyPrefix, _retention, _options.ReconnectTimeout, _reads, _logger)
                    .StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RedisException ex)
            {
                throw Failure("subscribe", ex);
            }
        }

        ChannelMessageQueue queue;
        try
        {
            queue = await connection.GetSubscriber().SubscribeAsync(_channel).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisException ex)
        {
            throw Failure("subscribe", ex);
        }

        // Pub/sub keeps nothing for a client that is away: what is published while the connection is down is gone
        // although the client subscribes again once it reconnects. The feed ends with an error instead, so no watcher
        // misses a change without being told.
        _subscribed = true;
        connection.ConnectionFailed += OnConnectionFailed;
        return ReadNoticesAsync(queue, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_connection is { } subscribed && _subscribed)
        {
            subscribed.ConnectionFailed -= OnConnectionFailed;
        }

        if (_connection is { } watched)
        {
            watched.ConnectionFailed -= OnConnectionLost;
            watched.ConnectionRestored -= OnConnectionRestored;
        }

        if (_connection is { } connection && _ownsConnection)
        {
            _connection = null;
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The first storage-key segment of <paramref name="scopeKey"/> (empty for the global scope): it names the hash slot.</summary>
    private static string TopLevel(string scopeKey)
    {
        var end = scopeKey.IndexOf('/', StringComparison.Ordinal);
        return end < 0 ? string.Empty : scopeKey[..(end + 1)];
    }

    private static BackendEntry? ToEntry(string scopeKey, string key, HashEntry[] fields)
    {
        if (fields.Length == 0)
        {
            return null;
        }

        byte[]? value = null;
        long version = 0, expires = 0, ttl = 0;
        var sliding = false;
        foreach (var field in fields)
        {
            switch ((string?)field.Name)
            {
                case "v": value = field.Value; break;
                case "ver": version = (long)field.Value; break;
                case "exp": expires = (long)field.Value; break;
                case "ttl": ttl = (long)field.Value; break;
                case "sl": sliding = field.Value == "1"; break;
            }
        }

        return value is null ? null : new BackendEntry(scopeKey, key, value, version, expires, ttl, sliding);
    }

    /// <summary>True when the server fsyncs its AOF before every reply, false when not, null when it cannot tell (CONFIG disabled).</summary>
    private static async Task<bool?> FsyncsEveryWriteAsync(IConnectionMultiplexer connection)
    {
        try
        {
            // Through Execute rather than IServer.ConfigGet, which needs the connection's admin mode.
            var reply = (RedisResult[])(await connection.GetDatabase().ExecuteAsync("CONFIG", "GET", "append*").ConfigureAwait(false))!;
            var settings = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < reply.Length; i += 2)
            {
                settings[(string)reply[i]!] = (string)reply[i + 1]!;
            }

            return settings.GetValueOrDefault("appendonly") == "yes" && settings.GetValueOrDefault("appendfsync") == "always";
        }
        catch (RedisException)
        {
            return null;
        }
    }

    private void OnConnectionLost(object? sender, ConnectionFailedEventArgs e) =>
        RedisLog.ConnectionFailed(_logger, e.Exception, _options.KeyPrefix, e.EndPoint, e.FailureType);

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) =>
        RedisLog.ConnectionRestored(_logger, _options.KeyPrefix, e.EndPoint);

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (Interlocked.CompareExchange(ref _feedLostReason, $"{e.FailureType} on {e.EndPoint}", null) is null)
        {
            _feedLost.Cancel();
        }
    }

    private async IAsyncEnumerable<SharedChangeNotice> ReadNoticesAsync(ChannelMessageQueue queue, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _feedLost.Token);
        try
        {
            while (true)
            {
                ChannelMessage message;
                try
                {
                    message = await queue.ReadAsync(reading.Token).ConfigureAwait(false);
                }
                catch (System.Threading.Channels.ChannelClosedException)
                {
                    yield break;
                }
                catch (OperationCanceledException ex) when (_feedLost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new StateBackendException($"Redis store '{_options.KeyPrefix}' lost its change feed ({_feedLostReason}): what was published while the connection was down cannot be recovered.", ex);
                }

                if (SharedChangeNotice.Parse(Encoding.UTF8.GetString((byte[])message.Message!)) is { } notice)
                {
                    yield return notice;
                }
            }
        }
        finally
        {
            try
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // The connection is gone: there is no subscription left to end.
            }
        }
    }

    private async Task<List<string>> SubtreeScopesAsync(string scopeKey, CancellationToken cancellationToken)
    {
        try
        {
            var database = Database();
            var tags = scopeKey.Length == 0
                ? [string.Empty, .. (await database.SortedSetRangeByRankAsync(_topLevelScopes).WaitAsync(cancellationToken).ConfigureAwait(false)).Select(t => (string)t!)]
                : new[] { TopLevel(scopeKey) };
            var scopes = new List<string>();
            foreach (var tag in tags.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var members = scopeKey.Length == 0
                    ? await database.SortedSetRangeByRankAsync(ScopeSetKey(tag)).WaitAsync(cancellationToken).ConfigureAwait(false)
                    : await database.SortedSetRangeByValueAsync(ScopeSetKey(tag), scopeKey, string.Concat(scopeKey.AsSpan(0, scopeKey.Length - 1), "0"), Exclude.Stop).WaitAsync(cancellationToken).ConfigureAwait(false);
                scopes.AddRange(members.Select(m => (string)m!));
            }

            scopes.Sort(StringComparer.Ordinal);
            return scopes;
        }
        catch (RedisException ex)
        {
            throw Failure("read", ex);
        }
    }

    private RedisKey EntryKey(string scopeKey, string key) => $"{{{_options.KeyPrefix}|{TopLevel(scopeKey)}}}:e:{scopeKey}\n{key}";

    private RedisKey IndexKey(string scopeKey) => $"{{{_options.KeyPrefix}|{TopLevel(scopeKey)}}}:i:{scopeKey}";

    private RedisKey ScopeSetKey(string tag) => $"{{{_options.KeyPrefix}|{tag}}}:s";

    private IConnectionMultiplexer Connection() =>
        _connection ?? throw new InvalidOperationException($"The Redis backend '{_options.KeyPrefix}' is not open; open the store with SharedStateStore.OpenAsync.");

    private IDatabase Database() => Connection().GetDatabase();

    private StateBackendException Failure(string what, Exception ex) =>
        new(string.Create(CultureInfo.InvariantCulture, $"Redis store '{_options.KeyPrefix}' failed to {what}: {ex.Message}"), ex);
}

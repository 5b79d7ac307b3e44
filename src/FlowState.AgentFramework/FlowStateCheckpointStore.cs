using System.Globalization;
using System.Text.Json;
using Microsoft.Agents.AI.Workflows;
using Microsoft.Agents.AI.Workflows.Checkpointing;

namespace FlowState.AgentFramework;

/// <summary>
/// The Agent Framework's JSON checkpoint store on a FlowState store: hand it to <c>CheckpointManager.CreateJson</c>
/// and a workflow's checkpoints live in FlowState (SQLite, RocksDB, PostgreSQL, or a shared Redis/PostgreSQL store for
/// workers in several processes). Each session (a workflow run) is a scope of its own under the given root; each
/// checkpoint one key holding the Agent Framework's JSON, its parent and its creation time, written once.
/// </summary>
/// <remarks>
/// Order is the store's: checkpoints of a session are listed in the order they were written (by their version).
/// Retention (<see cref="FlowStateCheckpointStoreOptions"/>) runs after each new checkpoint, in its session only, and
/// never deletes the newest one. The Agent Framework's store API takes no cancellation token; calls use none.
/// </remarks>
public sealed class FlowStateCheckpointStore : JsonCheckpointStore
{
    private const string KeyPrefix = "checkpoint:";

    private readonly IStateStore _sessions;
    private readonly FlowStateCheckpointStoreOptions _options;

    /// <summary>A store whose sessions live under <paramref name="sessions"/>, e.g. <c>store.For(StateScope.Custom("agent-framework"))</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="FlowStateCheckpointStoreOptions.MaxCheckpointsPerSession"/> is below 1, or <see cref="FlowStateCheckpointStoreOptions.MaxAge"/> is not positive.</exception>
    public FlowStateCheckpointStore(IStateStore sessions, FlowStateCheckpointStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        _sessions = sessions;
        _options = options ?? new FlowStateCheckpointStoreOptions();
        if (_options.MaxCheckpointsPerSession is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxCheckpointsPerSession, "MaxCheckpointsPerSession must be at least 1: the newest checkpoint is what a workflow resumes from.");
        }

        if (_options.MaxAge is { } age && age <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), age, "MaxAge must be positive.");
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="sessionId"/> cannot name a scope (empty, too long, or with control characters).</exception>
    /// <exception cref="KeyNotFoundException"><paramref name="parent"/> is not a checkpoint of this session.</exception>
    public override async ValueTask<CheckpointInfo> CreateCheckpointAsync(string sessionId, JsonElement value, CheckpointInfo? parent = null)
    {
        var session = Session(sessionId);
        if (parent is not null)
        {
            CheckSession(sessionId, parent);
            if (!await session.ExistsAsync(Key(parent.CheckpointId)).ConfigureAwait(false))
            {
                throw NotFound(sessionId, parent.CheckpointId, "the parent ");
            }
        }

        var id = Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);
        var stored = StoredCheckpoint.Write(parent?.CheckpointId, _options.TimeProvider.GetUtcNow(), value);
        // Written once: a second writer of the same id (never expected) is refused rather than overwriting.
        await session.SetRawAsync(Key(id), stored, new StateWriteOptions { ExpectedVersion = 0 }).ConfigureAwait(false);
        if (_options.MaxCheckpointsPerSession is not null || _options.MaxAge is not null)
        {
            await ApplyRetentionAsync(sessionId, session).ConfigureAwait(false);
        }

        return new CheckpointInfo(sessionId, id);
    }

    /// <inheritdoc />
    /// <exception cref="KeyNotFoundException">There is no such checkpoint in the session (as the Agent Framework's own stores throw).</exception>
    /// <exception cref="StateCorruptedException">The stored checkpoint cannot be read; nothing else is affected.</exception>
    public override async ValueTask<JsonElement> RetrieveCheckpointAsync(string sessionId, CheckpointInfo key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var session = Session(sessionId);
        CheckSession(sessionId, key);
        var entry = await session.GetEntryAsync(Key(key.CheckpointId)).ConfigureAwait(false) ?? throw NotFound(sessionId, key.CheckpointId, string.Empty);
        return Read(sessionId, key.CheckpointId, entry).Value;
    }

    /// <inheritdoc />
    /// <remarks>Every checkpoint of the session in the order written, or only the children of <paramref name="withParent"/>.</remarks>
    public override async ValueTask<IEnumerable<CheckpointInfo>> RetrieveIndexAsync(string sessionId, CheckpointInfo? withParent = null)
    {
        var session = Session(sessionId);
        var all = await ListAsync(session).ConfigureAwait(false);
        return all
            .Where(c => withParent is null || c.Stored?.Parent == withParent.CheckpointId)
            .Select(c => new CheckpointInfo(sessionId, c.Id))
            .ToList();
    }

    /// <summary>Deletes every checkpoint of <paramref name="sessionId"/> (a finished or abandoned workflow run).</summary>
    /// <returns>How many were deleted.</returns>
    public async ValueTask<long> DeleteSessionAsync(string sessionId, CancellationToken cancellationToken = default) =>
        await Session(sessionId).ClearAsync(cancellationToken).ConfigureAwait(false);

    private IStateStore Session(string sessionId)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        try
        {
            return _sessions.Scope(sessionId);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"Session id '{sessionId}' cannot name a FlowState scope: {ex.Message}", nameof(sessionId), ex);
        }
    }

    private static void CheckSession(string sessionId, CheckpointInfo checkpoint)
    {
        if (checkpoint.SessionId != sessionId)
        {
            throw new KeyNotFoundException($"Checkpoint '{checkpoint.CheckpointId}' belongs to session '{checkpoint.SessionId}', not '{sessionId}'.");
        }
    }

    private static KeyNotFoundException NotFound(string sessionId, string checkpointId, string what) =>
        new($"There is no {what}checkpoint '{checkpointId}' in session '{sessionId}' (never written, or deleted by retention or DeleteSessionAsync).");

    private static string Key(string checkpointId) => KeyPrefix + checkpointId;

    private static StoredCheckpoint Read(string sessionId, string checkpointId, StateEntry entry)
    {
        try
        {
            return entry.Deserialize(StoredCheckpointJsonContext.Default.StoredCheckpoint)
                ?? throw new JsonException("the stored value is null");
        }
        catch (Exception ex) when (ex is JsonException or StateTypeException)
        {
            throw new StateCorruptedException(
                $"Checkpoint '{checkpointId}' of session '{sessionId}' is damaged ({ex.Message}); resume from an earlier checkpoint of the session, or delete the session.",
                ex);
        }
    }

    /// <summary>
    /// Every checkpoint of a session, oldest first (by the version each was written with), with its parent and time
    /// read from the head of its JSON (the framework's value after them is not parsed). A damaged one is listed
    /// without its parent and time (reading it is what reports the damage), so it hides none of the others.
    /// </summary>
    private static async ValueTask<List<(string Id, StoredCheckpoint.Header? Stored, long Version)>> ListAsync(IStateStore session)
    {
        var all = new List<(string Id, StoredCheckpoint.Header? Stored, long Version)>();
        await foreach (var key in session.ListKeysAsync(KeyPrefix).ConfigureAwait(false))
        {
            if (await session.GetEntryAsync(key).ConfigureAwait(false) is { } entry)
            {
                all.Add((key[KeyPrefix.Length..], StoredCheckpoint.ReadHeader(entry.Value.Span), entry.Version));
            }
        }

        all.Sort((a, b) => a.Version.CompareTo(b.Version));
        return all;
    }

    private async ValueTask ApplyRetentionAsync(string sessionId, IStateStore session)
    {
        var all = await ListAsync(session).ConfigureAwait(false);
        var keepFrom = _options.MaxCheckpointsPerSession is { } max ? Math.Max(0, all.Count - max) : 0;
        var oldest = _options.MaxAge is { } age ? _options.TimeProvider.GetUtcNow() - age : DateTimeOffset.MinValue;
        var batch = session.CreateBatch();
        for (var i = 0; i < all.Count - 1; i++)
        {
            if (i < keepFrom || all[i].Stored?.Created < oldest)
            {
                batch.Delete(Key(all[i].Id), all[i].Version);
            }
        }

        if (batch.Count > 0)
        {
            try
            {
                await session.ApplyAsync(batch).ConfigureAwait(false);
            }
            catch (StateConflictException)
            {
                // Another writer of the session (a second worker) deleted or retained meanwhile: its pass covers it.
            }
        }
    }
}
